using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SelfSup.Interop;

/// <summary>
/// Reads and writes whole state dicts (name → tensor) as safetensors or PyTorch files through TorchSharp.PyBridge
/// (<see cref="Safetensors"/>, <see cref="PyTorchPickler"/>, <see cref="PyTorchUnpickler"/>). The dictionaries are
/// used rather than a module's <c>save_py</c>/<c>load_py</c> so that names can be mapped and checked in between.
/// </summary>
public static class StateDictFiles
{
    /// <summary>
    /// All tensors of a file, in the format its extension names; the caller owns (disposes) them. A safetensors header
    /// is checked first (<see cref="SafetensorsHeader"/>); any problem is an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found", path);
        var format = WeightFormats.OfPath(path);
        if (format == WeightFormat.Safetensors) SafetensorsHeader.Validate(path);
        try
        {
            return format == WeightFormat.Safetensors ? Safetensors.LoadStateDict(path) : FromHashtable(PyTorchUnpickler.UnpickleStateDict(path), path);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a readable {format} state dict ({e.Message})", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, any layout) in <paramref name="format"/>, replacing the file.
    /// Written to a temporary name and renamed, so a reader never sees half a file.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, WeightFormat format)
    {
        using var scope = NewDisposeScope();
        var plain = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.Delete(temp);
        try
        {
            if (format == WeightFormat.Safetensors) Safetensors.SaveStateDict(temp, plain);
            else PyTorchPickler.PickleStateDict(temp, plain);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    static Dictionary<string, Tensor> FromHashtable(Hashtable table, string path)
    {
        var result = new Dictionary<string, Tensor>(table.Count);
        foreach (DictionaryEntry e in table)
        {
            if (e.Key is not string key || e.Value is not Tensor tensor)
                throw new InvalidDataException($"{path}: expected a state dict of names and tensors, found an entry '{e.Key}' of type {e.Value?.GetType().Name ?? "null"}");
            result.Add(key, tensor);
        }
        return result;
    }
}
