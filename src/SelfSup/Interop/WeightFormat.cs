namespace SelfSup.Interop;

/// <summary>File formats of a state dict shared with PyTorch.</summary>
public enum WeightFormat
{
    /// <summary>safetensors (Hugging Face): a JSON header of names, dtypes, shapes and offsets, then raw little-endian data.</summary>
    Safetensors,

    /// <summary>PyTorch's <c>torch.save(model.state_dict())</c> zip archive (.pt / .pth), read by <c>torch.load</c>.</summary>
    PyTorch,
}

/// <summary>Names of <see cref="WeightFormat"/> on the command line and in file names.</summary>
public static class WeightFormats
{
    public static readonly IReadOnlyList<string> Names = ["safetensors", "pt"];

    /// <summary>Parses "safetensors" or "pt" (also "pth", "pytorch"); <paramref name="field"/> names the setting in the error.</summary>
    public static WeightFormat Parse(string value, string field = "format") => value.ToLowerInvariant() switch
    {
        "safetensors" => WeightFormat.Safetensors,
        "pt" or "pth" or "pytorch" => WeightFormat.PyTorch,
        _ => throw new ArgumentException($"{field}: expected one of {string.Join(", ", Names)}, got '{value}'"),
    };

    /// <summary>The format a file name says: .safetensors, or .pt / .pth / .bin for PyTorch's zip archive.</summary>
    public static WeightFormat OfPath(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".safetensors" => WeightFormat.Safetensors,
            ".pt" or ".pth" or ".bin" => WeightFormat.PyTorch,
            _ => throw new ArgumentException($"{path}: expected a file ending in .safetensors, .pt, .pth or .bin, got '{ext}'"),
        };
    }
}
