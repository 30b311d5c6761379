using System.Text;
using System.Text.Json;
using SelfSup.Methods;
using SelfSup.Training;

namespace SelfSup.Runs;

/// <summary>
/// An open checkpoint for <see cref="Checkpoint"/>: the trailer's recorded digest read first (a seek to the end), then
/// the header, with the reader left at the module state and the SHA-256 running over every byte read. Any failure to
/// read the header or weights is first checked against the checksum, so a changed byte is reported as such.
/// </summary>
sealed class CheckpointReader : IDisposable
{
    readonly string path;
    readonly FileStream file;
    readonly Sha256Stream hashed;
    readonly byte[]? recorded;

    CheckpointReader(string path, FileStream file, byte[]? recorded)
    {
        this.path = path;
        this.file = file;
        this.recorded = recorded;
        hashed = Sha256Stream.ForReading(file, file.Length - (recorded is null ? 0 : Checkpoint.TrailerLength));
        Reader = new BinaryReader(hashed, Encoding.UTF8, leaveOpen: true);
    }

    public BinaryReader Reader { get; }
    public CheckpointState State { get; private set; } = null!;

    public static CheckpointReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        CheckpointReader? opened = null;
        try
        {
            opened = new CheckpointReader(path, file, ReadTrailer(file));
            opened.ReadHeader();
            return opened;
        }
        catch
        {
            if (opened is not null) opened.Dispose();
            else file.Dispose();
            throw;
        }
    }

    /// <summary>The recorded digest when the file ends with the trailer; null otherwise. Leaves the stream at its start.</summary>
    static byte[]? ReadTrailer(FileStream file)
    {
        if (file.Length < Checkpoint.TrailerLength) return null;
        file.Seek(-Checkpoint.TrailerLength, SeekOrigin.End);
        var trailer = new byte[Checkpoint.TrailerLength];
        file.ReadExactly(trailer);
        file.Seek(0, SeekOrigin.Begin);
        return trailer.AsSpan(Checkpoint.DigestLength).SequenceEqual(Checkpoint.TrailerMagic) ? trailer[..Checkpoint.DigestLength] : null;
    }

    void ReadHeader()
    {
        try
        {
            if (Reader.ReadString() != Checkpoint.Magic) throw new InvalidDataException($"{path}: not a SelfSup checkpoint (expected header '{Checkpoint.Magic}')");
            State = JsonSerializer.Deserialize<CheckpointState>(Reader.ReadString(), RunConfig.Json)
                ?? throw new InvalidDataException($"{path}: empty checkpoint header");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException or InvalidDataException)
        {
            ThrowIfChecksumFails(e);
            if (e is InvalidDataException) throw;
            throw new InvalidDataException($"{path}: corrupt or truncated checkpoint ({e.Message})", e);
        }
        if (recorded is null && State.FormatVersion >= 2)
            throw new InvalidDataException($"{path}: checksum does not match: expected a SHA-256 trailer (format version {State.FormatVersion} ends with one), found none; the file is truncated or corrupt");
    }

    public void ReadWeights(SslMethod method, TrainingOptimizer? optimizer)
    {
        try
        {
            method.load(Reader, strict: true);
            if (Reader.ReadBoolean() && optimizer is not null) optimizer.Load(Reader);
        }
        catch (Exception e)
        {
            ThrowIfChecksumFails(e);
            if (e is EndOfStreamException or ArgumentException or InvalidOperationException)
                throw new InvalidDataException($"{path}: checkpoint weights do not match method '{State.Config.Method}' with encoder '{State.Config.Encoder}' ({e.Message})", e);
            throw;
        }
    }

    /// <summary>Reads the rest of the file into the hash; throws when the digest differs from the recorded one (nothing to check in a format-1 file).</summary>
    public void ThrowIfChecksumFails(Exception? cause)
    {
        if (recorded is null) return;
        try
        {
            hashed.ReadToEnd();
        }
        catch (IOException) when (cause is not null)
        {
            return; // the file cannot be read to its end: the original failure says more
        }
        var found = hashed.Digest();
        if (!found.AsSpan().SequenceEqual(recorded))
            throw new InvalidDataException(
                $"{path}: checksum does not match: expected SHA-256 {Convert.ToHexStringLower(recorded)} (recorded in the file), found {Convert.ToHexStringLower(found)}; "
                + "the file is corrupt (changed after it was written); do not use its weights", cause);
    }

    /// <summary>Verifies the checksum over the whole file and returns the header with the verified digest.</summary>
    public CheckpointState Finish()
    {
        ThrowIfChecksumFails(null);
        return recorded is null ? State : State with { Sha256 = Convert.ToHexStringLower(recorded) };
    }

    public void Dispose()
    {
        Reader.Dispose();
        hashed.Dispose();
        file.Dispose();
    }
}
