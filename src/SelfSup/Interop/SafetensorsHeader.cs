using System.Buffers.Binary;
using System.Numerics;
using System.Text.Json;

namespace SelfSup.Interop;

/// <summary>
/// Checks a safetensors file's header before any tensor is made from it, as the format's reference implementation
/// (huggingface/safetensors, <c>Metadata::validate</c>) does: an 8-byte little-endian header length of at most
/// <see cref="MaxHeaderBytes"/> that fits the file, a JSON object whose entries (except <c>__metadata__</c>) each hold
/// a known <c>dtype</c>, a <c>shape</c> of whole numbers ≥ 0 and <c>data_offsets</c> [begin, end] whose length is the
/// shape's size in bytes, the entries tiling the data area exactly (no gap, no overlap, nothing past its end).
/// TorchSharp.PyBridge allocates each tensor from its declared shape before checking the offsets, so a hostile header
/// would otherwise ask libtorch for exabytes or read one tensor's bytes into another.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>The reference implementation's limit on the JSON header (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes per element of the dtypes PyBridge reads.</summary>
    static readonly Dictionary<string, int> ItemSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> and the first problem found.</summary>
    public static void Validate(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        if (file.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw Bad(path, $"{file.Length} bytes is too short for the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw Bad(path, $"header length {headerLength} is more than the limit of {MaxHeaderBytes} bytes");
        if (8 + (long)headerLength > file.Length)
            throw Bad(path, $"header length {headerLength} runs past the end of the file ({file.Length} bytes)");
        var header = new byte[headerLength];
        file.ReadExactly(header);
        var dataLength = file.Length - 8 - (long)headerLength;

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header));
        }
        catch (Exception e) when (e is JsonException or System.Text.DecoderFallbackException)
        {
            throw Bad(path, $"header is not valid UTF-8 JSON ({e.Message})");
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, $"header is a JSON {json.RootElement.ValueKind}, expected an object");
            var spans = new List<(long Begin, long End, string Name)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in json.RootElement.EnumerateObject())
            {
                if (!names.Add(entry.Name)) throw Bad(path, $"tensor '{entry.Name}' is listed twice");
                if (entry.Name == "__metadata__") continue;
                spans.Add(Entry(entry, path));
            }
            long expected = 0;
            foreach (var (begin, end, name) in spans.OrderBy(s => s.Begin).ThenBy(s => s.End))
            {
                if (begin != expected)
                    throw Bad(path, begin < expected
                        ? $"tensor '{name}' (bytes {begin}–{end}) overlaps the tensor before it (which ends at {expected})"
                        : $"tensor '{name}' starts at byte {begin}, leaving bytes {expected}–{begin} unused");
                expected = end;
            }
            if (expected != dataLength)
                throw Bad(path, $"the tensors cover {expected} bytes of data, the file holds {dataLength}");
        }
    }

    /// <summary>One tensor entry's data span, after checking its dtype, shape and offsets.</summary>
    static (long Begin, long End, string Name) Entry(JsonProperty entry, string path)
    {
        var name = entry.Name;
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, $"tensor '{name}' is a JSON {value.ValueKind}, expected an object with dtype, shape and data_offsets");
        if (!value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String || !ItemSizes.TryGetValue(dtype.GetString()!, out var itemSize))
            throw Bad(path, $"tensor '{name}' has dtype {(value.TryGetProperty("dtype", out var d) ? d.GetRawText() : "(none)")}, expected one of {string.Join(", ", ItemSizes.Keys)}");
        var shape = WholeNumbers(value, "shape", name, path);
        var offsets = WholeNumbers(value, "data_offsets", name, path);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw Bad(path, $"tensor '{name}' has data_offsets [{string.Join(", ", offsets)}], expected [begin, end] with begin ≤ end");
        var bytes = shape.Aggregate(new BigInteger(itemSize), (a, s) => a * s);
        if (bytes != offsets[1] - offsets[0])
            throw Bad(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtype.GetString()} needs {bytes} bytes, its data_offsets span {offsets[1] - offsets[0]}");
        return (offsets[0], offsets[1], name);
    }

    static long[] WholeNumbers(JsonElement value, string key, string name, string path)
    {
        if (!value.TryGetProperty(key, out var list) || list.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}' has no {key} list");
        return list.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n
            : throw Bad(path, $"tensor '{name}' has {key} {list.GetRawText()}, expected whole numbers ≥ 0")).ToArray();
    }

    static InvalidDataException Bad(string path, string what) => new($"{path}: not a valid safetensors file ({what})");
}
