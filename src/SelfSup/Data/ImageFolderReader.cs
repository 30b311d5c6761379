using System.Diagnostics;

namespace SelfSup.Data;

/// <summary>One encoded image waiting to be decoded: where it came from (for errors), its class and its bytes.</summary>
internal sealed record EncodedImage(string Origin, int Label, Func<byte[]> Read);

/// <summary>
/// Reads a folder of .png/.jpg/.jpeg images in one of two layouts. Images directly in the root make it an
/// <b>unlabeled</b> pile: every image at any depth, no labels (the case self-supervision is for). Otherwise the
/// first-level folders are classes: <c>root/&lt;class&gt;/**/*.png</c> (classes sorted ordinally). Files are sorted by
/// relative path so the row order is reproducible; every image is resized to a square and converted to 1 (luminance)
/// or 3 (RGB) channels. Without a channel count, a folder whose every image is gray (R = G = B everywhere) loads as
/// 1 channel and any other as 3, except that one mixing 1-channel files with colour files is an error asking for a
/// channel count. Decoding runs in parallel.
/// </summary>
public static class ImageFolderReader
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// Decodes the folder as <paramref name="options"/> ask (<see cref="DatasetOptions.ImageSize"/> defaults to the
    /// shorter side of the first image, <see cref="DatasetOptions.Channels"/> to 1 for an all-gray folder, else 3;
    /// <see cref="DatasetOptions.Unlabeled"/> reads it as a pile even when its images sit only in sub-folders).
    /// </summary>
    public static ImageDataset Read(string root, DatasetOptions? options = null, string? name = null)
    {
        options ??= new DatasetOptions();
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: image folder not found");
        name ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(root));
        var log = options.Log;
        if (options.Unlabeled || Directory.EnumerateFiles(root).Any(IsImage))
        {
            // Images in the root (or asked for): an unlabeled pile, whatever folders it also has.
            var all = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(IsImage)
                .Order(StringComparer.Ordinal).Select(f => new EncodedImage(f, -1, () => File.ReadAllBytes(f))).ToList();
            if (all.Count == 0) throw new InvalidDataException($"{root}: no .png/.jpg/.jpeg images found at any depth");
            log?.Report($"{root}: {all.Count} unlabeled images, read at any depth");
            return Decode(all, [], options, name);
        }
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
                $"{root}: no images found; expected .png/.jpg/.jpeg files in the folder (unlabeled, read at any depth) or in class folders (root/<class>/*.png)");
        return Decode(items, classNames, options, name);
    }

    /// <summary>
    /// The images a label file names (<see cref="LabelFile"/>), labelled by it: classes are the labels in ordinal
    /// order and rows are sorted by class, then path, as the same images in class folders would be.
    /// </summary>
    public static ImageDataset ReadLabeled(string root, IReadOnlyList<LabeledPath> rows, DatasetOptions? options = null, string? name = null)
    {
        var classNames = rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = classNames.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        var encoded = rows.OrderBy(r => index[r.Label]).ThenBy(r => r.Path, StringComparer.Ordinal)
            .Select(r => (File: Path.Combine(root, r.Path), Label: index[r.Label]))
            .Select(t => new EncodedImage(t.File, t.Label, () => File.ReadAllBytes(t.File)))
            .ToList();
        return Decode(encoded, classNames, options ?? new DatasetOptions(), name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(root)));
    }

    internal static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Decodes encoded images in parallel into one packed dataset; no class names make it unlabeled. Without
    /// a channel count the images are decoded as RGB and kept as one plane when every pixel of every image
    /// is gray (the plane is then exactly the luminance). With <see cref="DatasetOptions.SkipBadImages"/>, images that cannot be
    /// decoded are left out and counted; otherwise the first one stops the load, naming the file.
    /// </summary>
    internal static ImageDataset Decode(IReadOnlyList<EncodedImage> items, IReadOnlyList<string> classNames, DatasetOptions options, string name)
    {
        var (imageSize, channels, log, skipBadImages) = (options.ImageSize, options.Channels, options.Log, options.SkipBadImages);
        var c = channels ?? 3;
        if (c is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {c}");
        var size = imageSize ?? FirstShorterSide(items, skipBadImages);
        if (size <= 0) throw new ArgumentException($"image size must be positive, got {size}");
        var stride = checked(c * size * size);
        var pixels = new byte[checked((long)stride * items.Count)];
        var labels = new long[items.Count];
        var storedGray = new bool[items.Count];
        var bad = new string?[items.Count];
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
                try
                {
                    storedGray[i] = ImageDecoder.DecodeInto(bytes, item.Origin, size, c, options.Resize, options.Window, pixels.AsSpan(i * stride, stride));
                }
                catch (InvalidDataException e) when (skipBadImages)
                {
                    bad[i] = e.Message;
                }
                labels[i] = item.Label;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Report the first failing file, not the parallel wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        log?.Report($"decoded {items.Count} images in {watch.Elapsed.TotalSeconds:F1} s");
        var kept = Enumerable.Range(0, items.Count).Where(i => bad[i] is null).ToArray();
        if (kept.Length < items.Count)
        {
            if (kept.Length == 0) throw new InvalidDataException($"{name}: none of its {items.Count} images could be decoded (first: {bad[0]})");
            log?.Report($"{name}: skipped {items.Count - kept.Length} images that could not be decoded (first: {bad.First(b => b is not null)})");
            var compact = new byte[checked((long)stride * kept.Length)];
            for (int k = 0; k < kept.Length; k++) pixels.AsSpan(kept[k] * stride, stride).CopyTo(compact.AsSpan(k * stride, stride));
            (pixels, labels, storedGray) = (compact, kept.Select(i => labels[i]).ToArray(), kept.Select(i => storedGray[i]).ToArray());
            items = kept.Select(i => items[i]).ToList();
        }
        if (channels is null && AllGray(pixels, items.Count, size))
        {
            pixels = FirstPlanes(pixels, items.Count, size);
            c = 1;
            log?.Report($"{name}: every image is gray, loading 1 channel (--channels 3 keeps three)");
        }
        else if (channels is null && Array.IndexOf(storedGray, true) is var g && g >= 0 && Array.IndexOf(storedGray, false) is var rgb && rgb >= 0)
            throw new InvalidDataException(
                $"{name}: the folder mixes 1-channel files ({storedGray.Count(x => x)}, e.g. {items[g].Origin}) and colour files ({storedGray.Count(x => !x)}, e.g. {items[rgb].Origin}); pass --channels 1 or --channels 3");
        var images = TensorBytes.ToByteTensor(pixels, 0, [items.Count, c, size, size]);
        return new ImageDataset(name, images, classNames.Count > 0 ? labels : null, classNames.ToArray());
    }

    /// <summary>Whether the R, G and B planes of every planar RGB image [N, 3, S, S] are equal.</summary>
    static bool AllGray(byte[] rgb, int count, int size)
    {
        var plane = size * size;
        for (long i = 0; i < count; i++)
        {
            var image = rgb.AsSpan(checked((int)(i * 3 * plane)), 3 * plane);
            if (!image[..plane].SequenceEqual(image.Slice(plane, plane)) || !image[..plane].SequenceEqual(image.Slice(2 * plane, plane)))
                return false;
        }
        return true;
    }

    /// <summary>The first plane of every planar RGB image: [N, 3, S, S] → [N, 1, S, S].</summary>
    static byte[] FirstPlanes(byte[] rgb, int count, int size)
    {
        var plane = size * size;
        var gray = new byte[checked((long)plane * count)];
        for (long i = 0; i < count; i++) rgb.AsSpan(checked((int)(i * 3 * plane)), plane).CopyTo(gray.AsSpan(checked((int)(i * plane)), plane));
        return gray;
    }

    /// <summary>The shorter side of the first image (the first readable one when bad images are skipped).</summary>
    static int FirstShorterSide(IReadOnlyList<EncodedImage> items, bool skipBadImages)
    {
        foreach (var item in items)
        {
            try
            {
                var (w, h) = ImageDecoder.Size(item.Read(), item.Origin);
                return Math.Min(w, h);
            }
            catch (InvalidDataException) when (skipBadImages)
            {
                // the decode loop counts it
            }
        }
        throw new InvalidDataException($"none of the {items.Count} images could be read, e.g. {items[0].Origin}");
    }
}
