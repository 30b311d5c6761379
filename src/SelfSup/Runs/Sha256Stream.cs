using System.Security.Cryptography;

namespace SelfSup.Runs;

/// <summary>
/// Passes bytes through to another stream and feeds each one into a SHA-256, so a file is hashed in the same pass
/// that writes or reads it (memory stays flat whatever the file's size). A reading stream ends at
/// <see cref="Length"/>: the end of the hashed part, before the trailer that records the digest. Disposing it
/// leaves the inner stream open.
/// </summary>
sealed class Sha256Stream : Stream
{
    readonly Stream inner;
    readonly bool writing;
    readonly long length;
    readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    long position;

    Sha256Stream(Stream inner, bool writing, long length)
    {
        this.inner = inner;
        this.writing = writing;
        this.length = length;
    }

    /// <summary>Hashes everything written through it to <paramref name="inner"/>.</summary>
    public static Sha256Stream ForWriting(Stream inner) => new(inner, writing: true, length: -1);

    /// <summary>Hashes everything read through it from <paramref name="inner"/>'s current position, up to <paramref name="length"/> bytes.</summary>
    public static Sha256Stream ForReading(Stream inner, long length) => new(inner, writing: false, length);

    /// <summary>The SHA-256 of the bytes passed so far.</summary>
    public byte[] Digest() => hash.GetCurrentHash();

    /// <summary>Reads (and hashes) whatever is left of the hashed part, in fixed-size pieces.</summary>
    public void ReadToEnd()
    {
        var buffer = new byte[1 << 16];
        while (Read(buffer, 0, buffer.Length) > 0) { }
    }

    public override bool CanRead => !writing;
    public override bool CanWrite => writing;
    public override bool CanSeek => false;
    public override long Length => writing ? position : length;
    public override long Position { get => position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (writing) throw new NotSupportedException();
        var wanted = (int)Math.Min(buffer.Length, length - position);
        if (wanted <= 0) return 0;
        var n = inner.Read(buffer[..wanted]);
        hash.AppendData(buffer[..n]);
        position += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!writing) throw new NotSupportedException();
        inner.Write(buffer);
        hash.AppendData(buffer);
        position += buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) hash.Dispose();
        base.Dispose(disposing);
    }
}
