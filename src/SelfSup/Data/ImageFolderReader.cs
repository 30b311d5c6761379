using System.Diagnostics;

namespace SelfSup.Data;

/// <summary>One encoded image waiting to be decoded: where it came from (for errors), its class and its bytes.</summary>
internal sealed record EncodedImage(string Origin, int Label, Func<byte[]> Read);

/// <summary>
/// Reads <c>root/&lt;class&gt;/**/*.png|jpg|jpeg</c>: the class is the first-level folder (classes sorted
/// ordinally, files sorted by relative path so the row order is reproducible), every image is resized to a
/// square and converted to 1 (luminance) or 3 (RGB) channels. Decoding runs in parallel.
/// </summary>
public static class ImageFolderReader
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// Decodes the folder. <paramref name="imageSize"/> defaults to the shorter side of the first image;
    /// <paramref name="channels"/> defaults to 3.
    /// </summary>
    public static ImageDataset Read(string root, int? imageSize = null, int? channels = null, string? name = null, IProgress<string>? log = null)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: image folder not found");
        var classDirs = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        var items = new List<EncodedImage>();
        var classNames = new List<string>();
        foreach (var cls in classDirs)
        {
            var files = Directory.EnumerateFiles(Path.Combine(root, cls), "*", SearchOption.AllDirectories)
                .Where(IsImage).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) continue;
            var label = classNames.Count;
            classNames.Add(cls);
            items.AddRange(files.Select(f => new EncodedImage(f, label, () => File.ReadAllBytes(f))));
        }
        if (items.Count == 0)
            throw new InvalidDataException(
                $"{root}: no images found; expected class folders holding .png/.jpg/.jpeg files (root/<class>/*.png)");
        return Decode(items, classNames, imageSize, channels, name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(root)), log);
    }

    static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Decodes encoded images in parallel into one packed dataset.</summary>
    internal static ImageDataset Decode(IReadOnlyList<EncodedImage> items, IReadOnlyList<string> classNames, int? imageSize, int? channels, string name, IProgress<string>? log)
    {
        var c = channels ?? 3;
        if (c is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {c}");
        var size = imageSize ?? FirstShorterSide(items[0]);
        if (size <= 0) throw new ArgumentException($"image size must be positive, got {size}");
        var stride = checked(c * size * size);
        var pixels = new byte[checked((long)stride * items.Count)];
        var labels = new long[items.Count];
        log?.Report($"decoding {items.Count} images to {c}x{size}x{size} ({name})");
        var watch = Stopwatch.StartNew();
        try
        {
            Parallel.For(0, items.Count, i =>
            {
                var item = items[i];
                byte[] bytes;
                try
                {
                    bytes = item.Read();
                }
                catch (IOException e)
                {
                    throw new IOException($"{item.Origin}: could not be read ({e.Message})", e);
                }
                ImageDecoder.DecodeInto(bytes, item.Origin, size, c, pixels.AsSpan(i * stride, stride));
                labels[i] = item.Label;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Report the first failing file, not the parallel wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        log?.Report($"decoded {items.Count} images in {watch.Elapsed.TotalSeconds:F1} s");
        var images = TensorBytes.ToByteTensor(pixels, 0, [items.Count, c, size, size]);
        return new ImageDataset(name, images, labels, classNames.ToArray());
    }

    static int FirstShorterSide(EncodedImage first)
    {
        var (w, h) = ImageDecoder.Size(first.Read(), first.Origin);
        return Math.Min(w, h);
    }
}
