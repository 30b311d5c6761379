using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>One mini-batch: uint8 images [B, C, H, W] on the CPU, their labels (when the dataset has them) and row indices.</summary>
public sealed class Batch(Tensor images, Tensor? labels, long[] indices) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor? Labels { get; } = labels;
    public long[] Indices { get; } = indices;

    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
    }
}

/// <summary>
/// Yields shuffled uint8 batches from a packed dataset. The order of epoch e depends only on (seed, e), so a
/// resumed run sees exactly the batches the uninterrupted run would have seen.
/// </summary>
public sealed class DataLoader
{
    readonly ImageDataset data;

    public DataLoader(ImageDataset data, int batchSize, int seed, bool shuffle = true, bool dropLast = true)
    {
        if (batchSize <= 0)
            throw new ArgumentException($"batch_size must be positive, got {batchSize}");
        if (dropLast && batchSize > data.Count)
            throw new ArgumentException($"batch_size {batchSize} is larger than dataset '{data.Name}' ({data.Count} images); use a batch size of at most {data.Count}");
        this.data = data;
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        DropLast = dropLast;
    }

    public int BatchSize { get; }
    public int Seed { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }
    public ImageDataset Dataset => data;

    public int BatchesPerEpoch => DropLast ? data.Count / BatchSize : (data.Count + BatchSize - 1) / BatchSize;

    /// <summary>The row order of one epoch (a deterministic function of seed and epoch).</summary>
    public long[] Order(int epoch) => Shuffle ? ShuffledOrder(data.Count, Seed, epoch) : [.. Enumerable.Range(0, data.Count).Select(i => (long)i)];

    /// <summary>The shuffled rows 0…<paramref name="count"/>−1 of one epoch, a deterministic function of (seed, epoch), for every loader.</summary>
    public static long[] ShuffledOrder(int count, int seed, int epoch)
    {
        var order = new long[count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        // A fixed arithmetic mix (HashCode.Combine is randomised per process, which would break resume across runs).
        var rng = new Random(unchecked(seed * 1_000_003 + epoch * 7_919 + 0x5e1f5));
        rng.Shuffle(order);
        return order;
    }

    /// <summary>
    /// The batches of <paramref name="epoch"/>, starting at batch <paramref name="startBatch"/> (for resume). For a
    /// dataset read from its packed file, the next batch is read (and moved to <paramref name="device"/>, when given)
    /// on another thread while the caller works on the current one; the batches are the same either way.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0, Device? device = null)
    {
        var order = Order(epoch);
        long[] Rows(int b) => order.AsSpan(b * BatchSize, Math.Min(BatchSize, order.Length - b * BatchSize)).ToArray();
        if (data.InMemory)
        {
            for (var b = startBatch; b < BatchesPerEpoch; b++)
                yield return Take(Rows(b), device);
            yield break;
        }
        Task<Batch>? next = startBatch < BatchesPerEpoch ? Read(Rows(startBatch), device) : null;
        try
        {
            for (var b = startBatch; b < BatchesPerEpoch; b++)
            {
                var current = next!.GetAwaiter().GetResult();
                next = b + 1 < BatchesPerEpoch ? Read(Rows(b + 1), device) : null;
                yield return current;
            }
        }
        finally
        {
            // An abandoned epoch (an exception, a break) still frees the batch read ahead.
            if (next is not null)
            {
                try { next.GetAwaiter().GetResult().Dispose(); }
                catch (IOException) { }
                catch (InvalidDataException) { }
            }
        }
    }

    Task<Batch> Read(long[] idx, Device? device) => Task.Run(() => Take(idx, device));

    Batch Take(long[] idx, Device? device)
    {
        var images = data.Rows(idx);
        if (device is not null && device.type != DeviceType.CPU)
        {
            var moved = images.to(device);
            images.Dispose();
            images = moved;
        }
        var labels = data.Labels is null ? null : tensor(idx.Select(i => data.Labels[i]).ToArray(), ScalarType.Int64);
        return new Batch(images, labels, idx);
    }
}
