using System.Diagnostics;
using SelfSup.Data;

namespace SelfSup.Cli;

/// <summary>The data path's benchmark cases: decoding real files, and a packed dataset of any size to train from.</summary>
static class BenchData
{
    /// <summary>
    /// Decodes an image folder into memory and streamed into a packed file, alternating the two <paramref name="rounds"/>
    /// times (so the machine's load hits both alike); images/s of each, medians over rounds.
    /// </summary>
    public static Dictionary<string, object> Decode(string folder, int rounds)
    {
        var options = new DatasetOptions();
        var dir = Path.Combine(Path.GetTempPath(), $"selfsup-decode-{Environment.ProcessId}");
        var memory = new List<double>();
        var streamed = new List<double>();
        var count = 0;
        try
        {
            // One untimed pass warms the file cache, so both arms read the files from memory.
            using (var warm = ImageFolderReader.Read(folder, options)) count = warm.Count;
            for (var round = 0; round < rounds; round++)
            {
                foreach (var arm in round % 2 == 0 ? new[] { 0, 1 } : [1, 0])
                {
                    var watch = Stopwatch.StartNew();
                    if (arm == 0)
                    {
                        using var data = ImageFolderReader.Read(folder, options);
                        memory.Add(data.Count / watch.Elapsed.TotalSeconds);
                    }
                    else
                    {
                        var path = Path.Combine(dir, "bench.sspack");
                        PackedCache.Create(path, w => ImageFolderReader.Pack(folder, options, "bench", w));
                        streamed.Add(count / watch.Elapsed.TotalSeconds);
                        File.Delete(path);
                    }
                }
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        return new()
        {
            ["folder"] = Path.GetFullPath(folder), ["images"] = count, ["rounds"] = rounds,
            ["in_memory_images_per_s"] = Math.Round(Median(memory), 1), ["streamed_to_file_images_per_s"] = Math.Round(Median(streamed), 1),
            ["streamed_over_in_memory"] = Math.Round(Median(streamed) / Median(memory), 3),
            ["in_memory_runs"] = memory.Select(x => Math.Round(x, 1)).ToArray(), ["streamed_runs"] = streamed.Select(x => Math.Round(x, 1)).ToArray(),
        };
    }

    /// <summary>A packed, unlabeled dataset of <paramref name="images"/> random RGB images, written a chunk at a time.</summary>
    public static Dictionary<string, object> SyntheticPack(string path, int images, int size)
    {
        var watch = Stopwatch.StartNew();
        var rowBytes = 3 * size * size;
        var rng = new Random(0);
        PackedCache.Create(path, w =>
        {
            w.Begin("synthetic", [], 3, size, size);
            var chunk = new byte[rowBytes * Math.Max(1, (16 << 20) / rowBytes)];
            for (long left = images; left > 0;)
            {
                var rows = (int)Math.Min(left, chunk.Length / rowBytes);
                rng.NextBytes(chunk.AsSpan(0, rows * rowBytes));
                w.Append(chunk.AsSpan(0, rows * rowBytes));
                left -= rows;
            }
            w.Finish(null);
        });
        return new() { ["pack"] = Path.GetFullPath(path), ["images"] = images, ["image_size"] = size, ["bytes"] = new FileInfo(path).Length, ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1) };
    }
}
