using System.Text;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// CIFAR-10 "python version" batches (<c>data_batch_1..5</c>, <c>test_batch</c>, <c>batches.meta</c>): pickled dicts
/// with <c>data</c> (uint8 [10000, 3072], rows R…G…B planes of 32×32) and <c>labels</c>. A minimal pickle reader for
/// exactly what those files hold (protocols 2–4: dicts, lists, tuples, ints, strings, and numpy arrays via
/// <c>numpy.core.multiarray._reconstruct</c>); nothing is executed, unknown globals are an error.
/// </summary>
public static class CifarPickleReader
{
    public static IReadOnlyList<string> SplitFiles(string dir, string split) => split switch
    {
        "train" => Enumerable.Range(1, 5).Select(i => Path.Combine(dir, $"data_batch_{i}")).ToArray(),
        "test" => [Path.Combine(dir, "test_batch")],
        _ => throw new ArgumentException($"{dir}: CIFAR-10 has splits 'train' and 'test', not '{split}'"),
    };

    public static ImageDataset Read(string dir, string split = "train", string? name = null)
    {
        var files = SplitFiles(dir, split);
        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0) throw new FileNotFoundException($"{dir}: missing CIFAR-10 python batches {string.Join(", ", missing.Select(Path.GetFileName))}");
        var pixels = new List<byte[]>();
        var labels = new List<long>();
        foreach (var f in files)
        {
            var (data, rows, lab) = ReadBatch(f);
            pixels.Add(data);
            labels.AddRange(lab);
            if (lab.Count != rows) throw new InvalidDataException($"{f}: {rows} images but {lab.Count} labels");
        }
        var all = pixels.SelectMany(p => p).ToArray();
        var images = tensor(all, ScalarType.Byte).view(labels.Count, 3, 32, 32);
        var meta = Path.Combine(dir, "batches.meta");
        IReadOnlyList<string>? classes = File.Exists(meta) ? ReadClassNames(meta) : null;
        return new ImageDataset(name ?? $"cifar10-{split}", images, labels.ToArray(), classes);
    }

    /// <summary>One batch: raw pixels (N·3072 bytes), N, and the labels.</summary>
    public static (byte[] Data, int Rows, List<long> Labels) ReadBatch(string path)
    {
        var dict = Load(path) as Dictionary<string, object?> ?? throw new InvalidDataException($"{path}: not a pickled dict");
        if (!dict.TryGetValue("data", out var d) || d is not NdArray arr)
            throw new InvalidDataException($"{path}: key 'data' (uint8 array) not found; the file holds {string.Join(", ", dict.Keys)}");
        var labelKey = dict.ContainsKey("labels") ? "labels" : dict.ContainsKey("fine_labels") ? "fine_labels" : null;
        if (labelKey is null || dict[labelKey] is not List<object?> labs)
            throw new InvalidDataException($"{path}: key 'labels' not found; the file holds {string.Join(", ", dict.Keys)}");
        if (arr.DType != "u1" || arr.Shape.Length != 2 || arr.Shape[1] != 3072 || arr.Data.Length != arr.Shape[0] * 3072)
            throw new InvalidDataException($"{path}: 'data' must be uint8 [N, 3072], got {arr.DType} [{string.Join(", ", arr.Shape)}]");
        return (arr.Data, arr.Shape[0], labs.Select(Convert.ToInt64).ToList());
    }

    public static IReadOnlyList<string> ReadClassNames(string metaPath)
    {
        var dict = Load(metaPath) as Dictionary<string, object?> ?? throw new InvalidDataException($"{metaPath}: not a pickled dict");
        return dict.TryGetValue("label_names", out var v) && v is List<object?> names
            ? names.Select(n => n as string ?? "").ToArray()
            : throw new InvalidDataException($"{metaPath}: key 'label_names' not found");
    }

    /// <summary>A numpy array as the pickle describes it.</summary>
    public sealed class NdArray
    {
        public int[] Shape { get; set; } = [];
        public string DType { get; set; } = "";
        public byte[] Data { get; set; } = [];
    }

    sealed class DType(string code) { public string Code { get; } = code; }
    sealed class Global(string name) { public string Name { get; } = name; }
    sealed class Mark;

    /// <summary>Unpickles the subset of opcodes CIFAR files use. Strings (bytes or text) become .NET strings (latin-1 for bytes).</summary>
    public static object? Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            return Run(bytes);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or InvalidCastException or KeyNotFoundException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a readable CIFAR python batch ({e.Message})", e);
        }
    }

    static object? Run(byte[] b)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        var latin1 = Encoding.Latin1;
        int i = 0;
        object? Pop() { var v = stack[^1]; stack.RemoveAt(stack.Count - 1); return v; }
        List<object?> PopMark()
        {
            var m = stack.FindLastIndex(x => x is Mark);
            var items = stack.GetRange(m + 1, stack.Count - m - 1);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        int I32() { var v = BitConverter.ToInt32(b, i); i += 4; return v; }
        string Line() { var e = Array.IndexOf(b, (byte)'\n', i); var s = latin1.GetString(b, i, e - i); i = e + 1; return s; }
        while (true)
        {
            var op = b[i++];
            switch (op)
            {
                case 0x80: i++; break;                                   // PROTO
                case 0x95: i += 8; break;                                // FRAME
                case (byte)'}': stack.Add(new Dictionary<string, object?>()); break;
                case (byte)']': stack.Add(new List<object?>()); break;
                case (byte)')': stack.Add(Array.Empty<object?>()); break;
                case (byte)'(': stack.Add(new Mark()); break;
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'K': stack.Add((long)b[i++]); break;
                case (byte)'M': stack.Add((long)BitConverter.ToUInt16(b, i)); i += 2; break;
                case (byte)'J': stack.Add((long)I32()); break;
                case (byte)'q': memo[b[i++]] = stack[^1]; break;         // BINPUT
                case (byte)'r': memo[(uint)I32()] = stack[^1]; break;    // LONG_BINPUT
                case 0x94: memo[memo.Count] = stack[^1]; break;          // MEMOIZE
                case (byte)'h': stack.Add(memo[b[i++]]); break;          // BINGET
                case (byte)'j': stack.Add(memo[(uint)I32()]); break;     // LONG_BINGET
                case (byte)'U': { int n = b[i++]; stack.Add(latin1.GetString(b, i, n)); i += n; break; }       // SHORT_BINSTRING
                case (byte)'T': { int n = I32(); stack.Add(latin1.GetString(b, i, n)); i += n; break; }        // BINSTRING
                case (byte)'C': { int n = b[i++]; stack.Add(latin1.GetString(b, i, n)); i += n; break; }       // SHORT_BINBYTES
                case (byte)'B': { int n = I32(); stack.Add(latin1.GetString(b, i, n)); i += n; break; }        // BINBYTES
                case 0x8c: { int n = b[i++]; stack.Add(Encoding.UTF8.GetString(b, i, n)); i += n; break; }    // SHORT_BINUNICODE
                case (byte)'X': { int n = I32(); stack.Add(Encoding.UTF8.GetString(b, i, n)); i += n; break; } // BINUNICODE
                case (byte)'c': { var module = Line(); stack.Add(new Global(module + "." + Line())); break; }  // GLOBAL
                case 0x93: { var name = (string)Pop()!; stack.Add(new Global((string)Pop()! + "." + name)); break; } // STACK_GLOBAL
                case 0x85: stack.Add(new[] { Pop() }); break;                                                 // TUPLE1
                case 0x86: { var y = Pop(); stack.Add(new[] { Pop(), y }); break; }                            // TUPLE2
                case 0x87: { var z = Pop(); var y = Pop(); stack.Add(new[] { Pop(), y, z }); break; }         // TUPLE3
                case (byte)'t': stack.Add(PopMark().ToArray()); break;                                        // TUPLE
                case (byte)'a': { var v = Pop(); ((List<object?>)stack[^1]!).Add(v); break; }                 // APPEND
                case (byte)'e': { var items = PopMark(); ((List<object?>)stack[^1]!).AddRange(items); break; } // APPENDS
                case (byte)'s': { var v = Pop(); var k = Pop(); ((Dictionary<string, object?>)stack[^1]!)[Key(k)] = v; break; }
                case (byte)'u':
                {
                    var items = PopMark();
                    var d = (Dictionary<string, object?>)stack[^1]!;
                    for (var k = 0; k < items.Count; k += 2) d[Key(items[k])] = items[k + 1];
                    break;
                }
                case (byte)'R': { var args = (object?[])Pop()!; var g = (Global)Pop()!; stack.Add(Reduce(g.Name, args)); break; }
                case (byte)'b': { var state = Pop(); Build(stack[^1], state); break; }
                case (byte)'.': return Pop();
                default: throw new ArgumentException($"unsupported pickle opcode 0x{op:x2} at byte {i - 1}");
            }
        }
    }

    static string Key(object? k) => k as string ?? throw new ArgumentException($"dict key of type {k?.GetType().Name} (expected a string)");

    static object Reduce(string name, object?[] args) => name switch
    {
        "_codecs.encode" => (string)args[0]!,   // Python 3's way of pickling bytes at protocol 2: text + "latin1"
        "numpy.core.multiarray._reconstruct" or "numpy._core.multiarray._reconstruct" => new NdArray(),
        "numpy.dtype" => new DType((string)args[0]!),
        _ => throw new ArgumentException($"unexpected pickled global '{name}'"),
    };

    static void Build(object? target, object? state)
    {
        switch (target)
        {
            case NdArray arr when state is object?[] s && s.Length >= 5:
                arr.Shape = ((object?[])s[1]!).Select(Convert.ToInt32).ToArray();
                arr.DType = ((DType)s[2]!).Code;
                if ((bool)s[3]!) throw new ArgumentException("Fortran-ordered arrays are not supported");
                arr.Data = Encoding.Latin1.GetBytes((string)s[4]!);
                break;
            case DType: break;   // byte order / flags: uint8 has none that matter
            default: throw new ArgumentException($"unexpected BUILD on {target?.GetType().Name}");
        }
    }
}
