using System.Text;

namespace SelfSup.Data;

/// <summary>
/// Streams one packed dataset (<see cref="PackedCache"/>'s layout) into a stream: the header first, with the image
/// count and channel count patched in by <see cref="Finish"/>, then whole rows of pixels as they are decoded, then the
/// labels. Memory stays bounded by what the caller holds between appends, whatever the dataset's size.
/// </summary>
public sealed class PackWriter
{
    readonly Stream stream;
    readonly string origin;
    long countPosition, channelsPosition, pixelStart;
    int rowBytes, height, width;

    internal PackWriter(Stream stream, string origin)
    {
        if (!stream.CanSeek) throw new ArgumentException($"{origin}: a packed file is written to a seekable stream");
        this.stream = stream;
        this.origin = origin;
    }

    /// <summary>Rows appended so far.</summary>
    public long Count { get; private set; }

    /// <summary>Channels of the rows being appended.</summary>
    public int Channels { get; private set; }

    public bool Started => rowBytes > 0;
    public bool Finished { get; private set; }

    /// <summary>Writes the header for rows of [<paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>].</summary>
    public void Begin(string name, IReadOnlyList<string> classNames, int channels, int height, int width)
    {
        if (Started) throw new InvalidOperationException($"{origin}: the header is already written");
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException($"{origin}: rows must have a positive shape, got [{channels}, {height}, {width}]");
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(PackedCache.Magic);
        w.Write(PackedCache.Version);
        w.Flush();
        countPosition = stream.Position;
        w.Write(0L);
        channelsPosition = stream.Position;
        w.Write(channels);
        w.Write(height);
        w.Write(width);
        w.Write(0L); // label count, patched by Finish
        w.Write(classNames.Count);
        foreach (var c in classNames) w.Write(c);
        w.Write(name);
        w.Flush();
        pixelStart = stream.Position;
        (Channels, this.height, this.width) = (channels, height, width);
        rowBytes = checked(channels * height * width);
    }

    /// <summary>Appends whole rows (planar [C, H, W] each, back to back).</summary>
    public void Append(ReadOnlySpan<byte> rows)
    {
        if (!Started || Finished) throw new InvalidOperationException($"{origin}: rows are appended between Begin and Finish");
        if (rows.Length % rowBytes != 0) throw new ArgumentException($"{origin}: {rows.Length} bytes are not whole rows of {rowBytes}");
        stream.Write(rows);
        Count += rows.Length / rowBytes;
    }

    /// <summary>Drops every row appended so far and continues with rows of <paramref name="channels"/> channels.</summary>
    public void Restart(int channels)
    {
        if (!Started || Finished) throw new InvalidOperationException($"{origin}: only rows being appended can be restarted");
        stream.SetLength(pixelStart);
        stream.Position = pixelStart;
        Count = 0;
        Channels = channels;
        rowBytes = checked(channels * height * width);
    }

    /// <summary>Appends the labels (one per row, or none) and patches the header's counts.</summary>
    public void Finish(IReadOnlyList<long>? labels)
    {
        if (!Started || Finished) throw new InvalidOperationException($"{origin}: Finish follows Begin, once");
        if (labels is not null && labels.Count != Count) throw new ArgumentException($"{origin}: {Count} rows but {labels.Count} labels");
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        if (labels is not null)
            foreach (var label in labels) w.Write(label);
        w.Flush();
        var end = stream.Position;
        stream.Position = countPosition;
        w.Write(Count);
        w.Flush();
        stream.Position = channelsPosition;
        w.Write(Channels);
        w.Flush();
        stream.Position = channelsPosition + 12;
        w.Write((long)(labels?.Count ?? 0));
        w.Flush();
        stream.Position = end;
        Finished = true;
    }
}
