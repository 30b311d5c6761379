using System.Security.Cryptography;
using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Interop;

/// <summary>What <see cref="EncoderWeights.Import"/> loaded: the layout's library, the tensors loaded and the classifier keys skipped.</summary>
public sealed record WeightImport(string Library, int Loaded, IReadOnlyList<string> SkippedClassifierKeys);

/// <summary>
/// An encoder's weights as a state dict that PyTorch reads: ResNets in torchvision's names, ViTs in timm's
/// (<see cref="ReferenceNames"/>), saved as safetensors or a <c>torch.save</c> file. Import checks the file
/// against the target architecture first (<see cref="StateDictCheck"/>: keys, shapes, dtypes) and loads nothing
/// unless everything fits.
/// </summary>
public static class EncoderWeights
{
    /// <summary>Writes <paramref name="encoder"/>'s state dict in its reference layout to <paramref name="path"/>.</summary>
    public static void Export(Encoder encoder, string path, WeightFormat format)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var names = ReferenceNames.For(encoder);
        using var scope = NewDisposeScope();
        StateDictFiles.Write(path, names.ToReference(encoder.state_dict()), format);
    }

    /// <summary>
    /// Loads a safetensors or PyTorch state dict in the encoder's reference layout into <paramref name="encoder"/>,
    /// after checking every key, shape and dtype against it; the reference's classifier keys are skipped.
    /// </summary>
    public static WeightImport Import(Encoder encoder, string path)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var names = ReferenceNames.For(encoder);
        using var scope = NewDisposeScope();
        var file = StateDictFiles.Read(path);
        var skipped = file.Keys.Where(names.IsClassifier).Order(StringComparer.Ordinal).ToList();
        var weights = file.Where(kv => !names.IsClassifier(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var own = encoder.state_dict();
        var expected = names.ToReference(own);
        StateDictCheck.Validate(expected, weights, path, $"{encoder.GetName()} in {names.Library} names");
        var device = own.Values.FirstOrDefault()?.device ?? CPU;
        var mapped = names.ToOwn(weights, own).ToDictionary(kv => kv.Key, kv => kv.Value.to(device));
        using (no_grad()) encoder.load_state_dict(mapped, strict: true);
        return new WeightImport(names.Library, mapped.Count, skipped);
    }

    /// <summary>The SHA-256 of a file as lower-case hex, recorded with a run that starts from it.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
