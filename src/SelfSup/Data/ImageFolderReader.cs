using System.Globalization;
using SelfSup.Progress;

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
        var (items, classNames) = List(root, options);
        return Decode(items, classNames, options, name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(root)));
    }

    /// <summary>As <see cref="Read"/>, streamed into a packed file with bounded memory.</summary>
    public static void Pack(string root, DatasetOptions options, string name, PackWriter writer) => Pack(root, options, name, writer, null);

    internal static void Pack(string root, DatasetOptions options, string name, PackWriter writer, int? chunkImages)
    {
        var (items, classNames) = List(root, options);
        Pack(items, classNames, options, name, writer, chunkImages);
    }

    /// <summary>The image files of the folder in the row order <see cref="Read"/> gives them (before any image is skipped as unreadable).</summary>
    public static IReadOnlyList<string> Files(string root, DatasetOptions? options = null) =>
        List(root, (options ?? new DatasetOptions()) with { Log = null }).Items.Select(i => i.Origin).ToList();

    /// <summary>The folder's images in row order, with their class indices (none for an unlabeled pile), and the class names.</summary>
    static (IReadOnlyList<EncodedImage> Items, IReadOnlyList<string> ClassNames) List(string root, DatasetOptions options)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: image folder not found");
        var log = options.Log;
        if (options.Unlabeled || Directory.EnumerateFiles(root).Any(IsImage))
        {
            // Images in the root (or asked for): an unlabeled pile, whatever folders it also has.
            var all = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(IsImage)
                .Order(StringComparer.Ordinal).Select(f => new EncodedImage(f, -1, () => File.ReadAllBytes(f))).ToList();
            if (all.Count == 0) throw new InvalidDataException($"{root}: no .png/.jpg/.jpeg images found at any depth");
            log?.Report($"{root}: {all.Count} unlabeled images, read at any depth");
            return (all, []);
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
        return (items, classNames);
    }

    /// <summary>
    /// The images a label file names (<see cref="LabelFile"/>), labelled by it: classes are the labels in ordinal
    /// order and rows are sorted by class, then path, as the same images in class folders would be.
    /// </summary>
    public static ImageDataset ReadLabeled(string root, IReadOnlyList<LabeledPath> rows, DatasetOptions? options = null, string? name = null)
    {
        var (items, classNames) = ListLabeled(root, rows);
        return Decode(items, classNames, options ?? new DatasetOptions(), name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(root)));
    }

    /// <summary>As <see cref="ReadLabeled"/>, streamed into a packed file with bounded memory.</summary>
    public static void PackLabeled(string root, IReadOnlyList<LabeledPath> rows, DatasetOptions options, string name, PackWriter writer)
    {
        var (items, classNames) = ListLabeled(root, rows);
        Pack(items, classNames, options, name, writer);
    }

    static (IReadOnlyList<EncodedImage> Items, IReadOnlyList<string> ClassNames) ListLabeled(string root, IReadOnlyList<LabeledPath> rows)
    {
        var classNames = rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = classNames.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        var encoded = rows.OrderBy(r => index[r.Label]).ThenBy(r => r.Path, StringComparer.Ordinal)
            .Select(r => (File: Path.Combine(root, r.Path), Label: index[r.Label]))
            .Select(t => new EncodedImage(t.File, t.Label, () => File.ReadAllBytes(t.File)))
            .ToList();
        return (encoded, classNames);
    }

    internal static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Decodes encoded images into one dataset in memory (small sources; large ones stream into a packed file).</summary>
    internal static ImageDataset Decode(IReadOnlyList<EncodedImage> items, IReadOnlyList<string> classNames, DatasetOptions options, string name)
    {
        using var buffer = new MemoryStream();
        Pack(items, classNames, options, name, new PackWriter(buffer, name));
        buffer.Position = 0;
        return PackedCache.Read(buffer, name);
    }

    /// <summary>
    /// Decodes encoded images in parallel, a chunk at a time, into <paramref name="writer"/>: memory holds one chunk,
    /// whatever the number of images. No class names make the dataset unlabeled. Without a channel count the images
    /// are decoded as RGB and written as one plane while every pixel of every image is gray (the plane is then exactly
    /// the luminance); the first colour image restarts the pass with three planes. With
    /// <see cref="DatasetOptions.SkipBadImages"/>, images that cannot be decoded are left out and counted; otherwise
    /// the first one stops the pass, naming the file. A progress line (images/s, ETA) goes to the log every few seconds.
    /// </summary>
    /// <param name="chunkImages">Images decoded per chunk (default: about 32 MB of pixels).</param>
    internal static void Pack(IReadOnlyList<EncodedImage> items, IReadOnlyList<string> classNames, DatasetOptions options, string name, PackWriter writer, int? chunkImages = null)
    {
        var (imageSize, channels, log, skipBadImages) = (options.ImageSize, options.Channels, options.Log, options.SkipBadImages);
        var decodeChannels = channels ?? 3;
        if (decodeChannels is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {decodeChannels}");
        var size = imageSize ?? FirstShorterSide(items, skipBadImages);
        if (size <= 0) throw new ArgumentException($"image size must be positive, got {size}");
        if ((long)size * size > ImageDecoder.MaxPixels)
            throw new ArgumentException($"image size {size}: {size} × {size} is more than the limit of {ImageDecoder.MaxPixels:N0} pixels per image");
        var stride = checked(decodeChannels * size * size);
        var plane = size * size;
        var chunk = chunkImages ?? Math.Clamp((32 << 20) / stride, 16, 4096);
        log?.Report($"decoding {items.Count} images to {(channels is null ? "1 or 3" : channels.ToString())}x{size}x{size} ({name}), {chunk} at a time");
        using var meter = WorkProgress.Start($"decoding {name}", items.Count, "images");
        // Without a channel count, guess gray until a colour image proves otherwise.
        var gray = channels is null;
        var labels = new List<long>(items.Count);
        var storedGray = new List<(bool Gray, string Origin)>(items.Count);
        string? firstBad = null;
        var badCount = 0;
        var pixels = new byte[checked((long)stride * Math.Min(chunk, items.Count))];
        var chunkGray = new bool[chunk];
        var chunkStored = new bool[chunk];
        var chunkBad = new string?[chunk];
        for (var start = 0; start < items.Count; start += chunk)
        {
            if (start == 0) (labels, storedGray, firstBad, badCount) = ([], [], null, 0);
            var n = Math.Min(chunk, items.Count - start);
            DecodeChunk(items, start, n, size, decodeChannels, options, pixels, chunkStored, chunkBad);
            for (var k = 0; k < n; k++)
                chunkGray[k] = chunkBad[k] is not null || decodeChannels == 1 || IsGray(pixels.AsSpan(k * stride, stride), plane);
            if (!writer.Started) writer.Begin(name, classNames, gray ? 1 : decodeChannels, size, size);
            if (gray && Array.IndexOf(chunkGray, false, 0, n) is var colour && colour >= 0)
            {
                log?.Report($"{name}: {items[start + colour].Origin} is in colour; decoding again with 3 channels");
                writer.Restart(3);
                gray = false;
                start = -chunk; // the loop's step makes it 0: the pass begins again
                continue;
            }
            for (var k = 0; k < n; k++)
            {
                if (chunkBad[k] is { } message)
                {
                    firstBad ??= message;
                    badCount++;
                    continue;
                }
                writer.Append(gray ? pixels.AsSpan(k * stride, plane) : pixels.AsSpan(k * stride, stride));
                labels.Add(items[start + k].Label);
                storedGray.Add((chunkStored[k], items[start + k].Origin));
            }
            meter.Set(start + n);
        }
        if (labels.Count == 0) throw new InvalidDataException($"{name}: none of its {items.Count} images could be decoded (first: {firstBad})");
        if (badCount > 0) log?.Report($"{name}: skipped {badCount} images that could not be decoded (first: {firstBad})");
        if (gray && channels is null) log?.Report($"{name}: every image is gray, loading 1 channel (--channels 3 keeps three)");
        else if (channels is null && storedGray.FindIndex(x => x.Gray) is var g && g >= 0 && storedGray.FindIndex(x => !x.Gray) is var rgb && rgb >= 0)
            throw new InvalidDataException(
                $"{name}: the folder mixes 1-channel files ({storedGray.Count(x => x.Gray)}, e.g. {storedGray[g].Origin}) and colour files ({storedGray.Count(x => !x.Gray)}, e.g. {storedGray[rgb].Origin}); pass --channels 1 or --channels 3");
        writer.Finish(classNames.Count > 0 ? labels : null);
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"decoded {items.Count:N0} images in {meter.Status().Elapsed.TotalSeconds:F1} s ({meter.Status().Rate:N0} img/s)"));
    }

    /// <summary>Decodes items start .. start + n − 1 in parallel into the first n rows of <paramref name="pixels"/>.</summary>
    static void DecodeChunk(IReadOnlyList<EncodedImage> items, int start, int n, int size, int channels, DatasetOptions options, byte[] pixels, bool[] storedGray, string?[] bad)
    {
        var stride = channels * size * size;
        try
        {
            Parallel.For(0, n, k =>
            {
                var item = items[start + k];
                bad[k] = null;
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
                    storedGray[k] = ImageDecoder.DecodeInto(bytes, item.Origin, size, channels, options.Resize, options.Window, pixels.AsSpan(k * stride, stride));
                }
                catch (InvalidDataException e) when (options.SkipBadImages)
                {
                    bad[k] = e.Message;
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Report the first failing file, not the parallel wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    /// <summary>Whether the R, G and B planes of one planar RGB image are equal.</summary>
    static bool IsGray(ReadOnlySpan<byte> rgb, int plane) =>
        rgb[..plane].SequenceEqual(rgb.Slice(plane, plane)) && rgb[..plane].SequenceEqual(rgb.Slice(2 * plane, plane));

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
