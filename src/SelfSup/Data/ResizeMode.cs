namespace SelfSup.Data;

/// <summary>How an image of any aspect ratio becomes the square S×S that a dataset stores.</summary>
public enum ResizeMode
{
    /// <summary>Shorter side to S, then a centred S×S crop (the usual evaluation resize); the ends of the longer side are cut off.</summary>
    Crop,

    /// <summary>
    /// Longer side to S with the aspect ratio kept, the rest padded with black and the image centred (letterbox):
    /// nothing is cut off, e.g. the edges of a chest X-ray.
    /// </summary>
    Fit,
}

/// <summary>Reads <see cref="ResizeMode"/> from a flag or a run file.</summary>
public static class ResizeModes
{
    /// <summary><c>crop</c> or <c>fit</c> (any case); anything else is an error naming <paramref name="flag"/>.</summary>
    public static ResizeMode Parse(string text, string flag) => text.Trim().ToLowerInvariant() switch
    {
        "crop" => ResizeMode.Crop,
        "fit" => ResizeMode.Fit,
        _ => throw new ArgumentException($"{flag}: expected crop (shorter side to the size, centre crop) or fit (longer side to the size, padded with black), got '{text}'"),
    };
}
