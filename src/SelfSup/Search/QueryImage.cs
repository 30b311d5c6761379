using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Search;

/// <summary>
/// One image file decoded the way an image folder is loaded (<see cref="ImageFolderReader"/>): resized to a square of
/// the index's size by its resize mode and converted to its channel count (1: luminance, 3: RGB), 16-bit PNGs through
/// its intensity window. A file of any size or channel count is accepted; one that is missing or not a readable
/// PNG/JPEG is an error naming it.
/// </summary>
public static class QueryImage
{
    /// <summary>uint8 [1, C, S, S] of <paramref name="file"/>.</summary>
    public static Tensor Load(string file, int size, int channels, ResizeMode resize = ResizeMode.Crop, IntensityWindow? window = null)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"--query {file}: no such image file", file);
        if (channels is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {channels}");
        if (size <= 0) throw new ArgumentException($"image size must be positive, got {size}");
        var pixels = new byte[channels * size * size];
        ImageDecoder.DecodeInto(File.ReadAllBytes(file), file, size, channels, resize, window, pixels);
        return tensor(pixels, [1, channels, size, size], ScalarType.Byte); // [1, C, S, S]
    }
}
