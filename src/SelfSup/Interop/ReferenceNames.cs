using SelfSup.Encoders;
using static TorchSharp.torch;

namespace SelfSup.Interop;

/// <summary>
/// How an encoder's state dict is spelled by the library its architecture comes from, so exported weights load
/// there with <c>load_state_dict(strict=True)</c> and that library's weights load here. A key map
/// (<see cref="ToReferenceKey"/>) plus, where the libraries store a tensor differently, a tensor transform in
/// each direction. Keys of the reference's classifier (<see cref="IsClassifier"/>) are skipped on import.
/// </summary>
public abstract class ReferenceNames
{
    /// <summary>The library whose names these are, e.g. "torchvision".</summary>
    public abstract string Library { get; }

    /// <summary>The reference's name of one of our keys.</summary>
    public abstract string ToReferenceKey(string ownKey);

    /// <summary>Whether a reference key belongs to its classifier, which an encoder has none of (skipped on import).</summary>
    public abstract bool IsClassifier(string referenceKey);

    /// <summary>The reference layout for an encoder: torchvision for <see cref="ResNet"/>, timm for <see cref="Vit"/>.</summary>
    public static ReferenceNames For(Encoder encoder) => encoder switch
    {
        ResNet => TorchvisionNames.Instance,
        Vit => TimmNames.Instance,
        _ => throw new ArgumentException(
            $"encoder {encoder.GetName()}: no reference layout; expected a ResNet (torchvision names) or a ViT (timm names)"),
    };

    /// <summary>Our state dict in the reference's names and layout (tensors are ours or new ones in the caller's dispose scope).</summary>
    public Dictionary<string, Tensor> ToReference(IReadOnlyDictionary<string, Tensor> own) =>
        own.ToDictionary(kv => ToReferenceKey(kv.Key), kv => ExportTensor(kv.Key, kv.Value, own));

    /// <summary>
    /// A reference state dict, already checked against <see cref="ToReference"/> of <paramref name="own"/>, in our
    /// names and layout: one entry per key of <paramref name="own"/>.
    /// </summary>
    public Dictionary<string, Tensor> ToOwn(IReadOnlyDictionary<string, Tensor> reference, IReadOnlyDictionary<string, Tensor> own) =>
        own.Keys.ToDictionary(k => k, k => ImportTensor(k, ToReferenceKey(k), reference));

    /// <summary>The reference's tensor for our <paramref name="ownKey"/> (default: the same tensor).</summary>
    protected virtual Tensor ExportTensor(string ownKey, Tensor value, IReadOnlyDictionary<string, Tensor> own) => value;

    /// <summary>Our tensor for <paramref name="ownKey"/> from the reference dict (default: the same tensor).</summary>
    protected virtual Tensor ImportTensor(string ownKey, string referenceKey, IReadOnlyDictionary<string, Tensor> reference) => reference[referenceKey];
}
