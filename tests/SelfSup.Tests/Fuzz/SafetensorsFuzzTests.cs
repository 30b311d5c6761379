using System.Buffers.Binary;
using System.Text;
using CsCheck;
using SelfSup.Interop;
using SelfSup.Tests.Data;
using static TorchSharp.torch;

namespace SelfSup.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class SafetensorsFuzzTests
{
    const string Seed = "0000001diBn0";

    /// <summary>A safetensors file: the 8-byte header length, the header text, the data.</summary>
    static byte[] File(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    static byte[] Valid()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("w.safetensors");
        StateDictFiles.Write(path, new Dictionary<string, Tensor> { ["a"] = arange(6, dtype: ScalarType.Float32).reshape(2, 3), ["b"] = tensor(new long[] { 7, 9 }) }, WeightFormat.Safetensors);
        return System.IO.File.ReadAllBytes(path);
    }

    static readonly Gen<string> Numbers = Gen.Frequency(
        (4, Mutations.Extreme.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (2, Gen.Int[0, 24].Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.OneOf(Gen.Const("-1"), Gen.Const("1.5"), Gen.Const("\"3\""), Gen.Const("null"), Gen.Const("1e300"))));

    static readonly Gen<string> Entry = Gen.Select(
        Gen.OneOf(Gen.Const("F32"), Gen.Const("I64"), Gen.Const("U8"), Gen.Const("BF16"), Gen.Const("F8_E4M3"), Gen.Const(""), Gen.String[0, 4]),
        Numbers.Array[0, 3], Numbers.Array[0, 3], Gen.Int[0, 9],
        (dtype, shape, offsets, form) => form switch
        {
            0 => $"{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}]}}",
            1 => $"[{string.Join(",", shape)}]",
            2 => $"{{\"dtype\":{string.Join(",", shape.DefaultIfEmpty("1"))},\"shape\":[],\"data_offsets\":[0,0]}}",
            _ => $"{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{string.Join(",", offsets)}]}}",
        });

    /// <summary>Headers of 0–4 entries (names may repeat), with metadata, over 0–64 bytes of data.</summary>
    static readonly Gen<byte[]> Structured = Gen.Select(
        Gen.Select(Gen.OneOf(Gen.Const("a"), Gen.Const("b"), Gen.Const("__metadata__"), Gen.String[0, 3]), Entry).Array[0, 4],
        Gen.Byte.Array[0, 64], Gen.Bool,
        (entries, data, metadata) => File(
            "{" + string.Join(",", (metadata ? ["\"__metadata__\":{\"format\":\"pt\"}"] : Array.Empty<string>())
                .Concat(entries.Select(e => $"{JsonQuote(e.Item1)}:{e.Item2}"))) + "}", data));

    static string JsonQuote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    [Fact]
    public void HostileSafetensorsFiles_LoadOrFailNamingTheFile()
    {
        TorchRuntime.Initialize();
        var valid = Valid();
        var cases = Gen.Frequency((3, Mutations.Of(valid, new Field(0, 8), new Field(0, 4))), (3, Structured))
            .Select(b => new HostileCase("weights.safetensors", b));
        HostileFiles.Check(cases, Seed, path =>
        {
            var tensors = StateDictFiles.Read(path);
            foreach (var t in tensors.Values) t.Dispose();
        }, [typeof(InvalidDataException)]);
    }

    static string Load(string header, int dataBytes)
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = dir.File("w.safetensors");
        System.IO.File.WriteAllBytes(path, File(header, new byte[dataBytes]));
        var e = Assert.Throws<InvalidDataException>(() => StateDictFiles.Read(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        return e.Message;
    }

    [Fact]
    public void OverlappingTensors_AreRefused() =>
        Assert.Contains("'b' (bytes 4–12) overlaps the tensor before it (which ends at 8)",
            Load("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12));

    [Fact]
    public void OffsetsPastTheData_AreRefused() =>
        Assert.Contains("the tensors cover 16 bytes of data, the file holds 8",
            Load("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8));

    [Fact]
    public void ShapeOfExabytes_IsRefusedBeforeAnyTensorIsMade() =>
        Assert.Contains("needs 4611686018427387904 bytes, its data_offsets span 4",
            Load("""{"a":{"dtype":"F32","shape":[1073741824,1073741824],"data_offsets":[0,4]}}""", 4)); // 2^60 floats

    [Fact]
    public void HeaderLengthOfATerabyte_IsRefusedFromTheFirstEightBytes()
    {
        using var dir = new TempDir();
        var path = dir.File("w.safetensors");
        var bytes = File("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        System.IO.File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => StateDictFiles.Read(path));

        Assert.Equal($"{path}: not a valid safetensors file (header length 1099511627776 is more than the limit of 100000000 bytes)", e.Message);
    }
}
