using SelfSup.Text;

namespace SelfSup.Methods;

/// <summary>
/// A method that reads text through a tokenizer (masked language modelling, CLIP): its tokenizer goes into every
/// checkpoint, so a checkpoint alone reads text as the model was trained to.
/// </summary>
public interface IReadsText
{
    /// <summary>The tokenizer; null while the method has not built it yet (CLIP trains it on its captions when training starts).</summary>
    ITokenizer? Tokenizer { get; }
}
