using System.Text;
using CsCheck;
using SelfSup.Interop;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class NpyFuzzTests
{
    const string Seed = "0000001diBj0";

    /// <summary>A version-1 .npy file with the header dict <paramref name="dict"/> (padded as numpy pads it) and the data.</summary>
    internal static byte[] Npy(string dict, byte[] data)
    {
        var header = dict + new string(' ', (64 - (10 + dict.Length + 1) % 64) % 64) + "\n";
        return [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, (byte)(header.Length >> 8), .. Encoding.Latin1.GetBytes(header), .. data];
    }

    internal static byte[] Npy(string descr, string shape, byte[] data) =>
        Npy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}", data);

    static readonly byte[] Valid = Npy("<f4", "(2, 2)", new byte[16]);

    /// <summary>The fields of the preamble: version, header length (v1's two bytes, or v2's four).</summary>
    static readonly Field[] Preamble = [new(6, 1), new(8, 2), new(8, 4)];

    static readonly Gen<string> Descrs = Gen.OneOf(Gen.Const("<f4"), Gen.Const("|u1"), Gen.Const("<i8"), Gen.Const("<i4"), Gen.Const(">i4"),
        Gen.Const("<f8"), Gen.Const("<U8"), Gen.Const("|O"), Gen.Const("|b1"), Gen.Const(""), Gen.String[0, 6]);

    static readonly Gen<string> ShapeEntries = Gen.Frequency(
        (4, Mutations.Extreme.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (1, Mutations.Extreme.Select(v => "-" + (v % 1000))), (1, Gen.String[0, 4]), (1, Gen.Const("2L")), (1, Gen.Const(" ")));

    /// <summary>Header dicts built from parts: every dtype, extreme and malformed shapes, missing or repeated keys, junk.</summary>
    internal static readonly Gen<byte[]> Structured = Gen.Select(Descrs, ShapeEntries.Array[0, 4], Gen.Bool, Gen.Int[0, 5], Gen.Byte.Array[0, 64],
        (descr, dims, fortran, form, data) => form switch
        {
            0 => Npy($"{{'descr': '{descr}', 'shape': ({string.Join(", ", dims)}), }}", data),
            1 => Npy($"{{'shape': ({string.Join(", ", dims)}), 'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}}}", data),
            2 => Npy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({string.Join(",", dims)}"  /* never closed */, data),
            3 => Npy(descr, $"({string.Join(", ", dims)},)", data),
            _ => Npy(descr, $"({string.Join(", ", dims)})", data),
        });

    internal static readonly Gen<byte[]> Files = Gen.Frequency((3, Mutations.Of(Valid, Preamble)), (2, Structured));

    [Fact]
    public void HostileNpyFiles_LoadOrFailNamingTheFile()
    {
        TorchRuntime.Initialize();
        HostileFiles.Check(Files.Select(b => new HostileCase("array.npy", b)), Seed, path => NpyReader.Read(path), [typeof(InvalidDataException)]);
    }

    [Theory]
    [InlineData("(2, x)", "'x'")]
    [InlineData("(-2, -2)", "'-2'")]
    [InlineData("(4611686018427387904, 4)", "needs 73786976294838206464 data bytes")] // 2^62 · 4 · 4 bytes wraps to 0 in 64 bits
    public void MalformedShapes_AreRefusedNamingTheFile(string shape, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.npy");
        File.WriteAllBytes(path, Npy("<f4", shape, []));

        var e = Assert.Throws<InvalidDataException>(() => NpyReader.Read(path));

        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VersionTwoHeaderLengthAboveIntMax_IsRefusedNamingTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("huge-header.npy");
        File.WriteAllBytes(path, [0x93, .. "NUMPY"u8, 2, 0, 0xff, 0xff, 0xff, 0xff, .. "{}"u8]);

        var e = Assert.Throws<InvalidDataException>(() => NpyReader.Read(path));

        Assert.Equal($"{path}: .npy header of 4294967295 bytes runs past the end of the data (14 bytes)", e.Message);
    }
}
