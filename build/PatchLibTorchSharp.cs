// MSBuild task (compiled by RoslynCodeTaskFactory): makes TorchSharp's native shim loadable on systems
// whose libstdc++ predates GLIBCXX_3.4.32 (e.g. Debian 12). The shim asks for that version only for the
// marker symbol std::ios_base_library_init; marking the version requirement weak (VER_FLG_WEAK) in
// .gnu.version_r lets the dynamic loader accept the older libstdc++. Files are patched in place, only when
// needed (or always, with Always: a publish folder or a tool package runs on other systems than the one that built
// it), and a file already marked weak is left untouched.
using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class PatchLibTorchSharp : Task
{
    const string Version = "GLIBCXX_3.4.32";
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 2;

    [Required] public string SearchRoot { get; set; }
    public string LibStdCxx { get; set; }
    /// <summary>Patch even when this system's libstdc++ provides the version.</summary>
    public bool Always { get; set; }

    public override bool Execute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || !Directory.Exists(SearchRoot)) return true;
        if (!Always)
        {
            var libstd = FindLibStdCxx();
            if (libstd is null) { Log.LogMessage(MessageImportance.Low, "libstdc++.so.6 not found; nothing patched"); return true; }
            if (Contains(File.ReadAllBytes(libstd), Encoding.ASCII.GetBytes(Version + "\0")))
            {
                Log.LogMessage(MessageImportance.Low, $"{libstd} provides {Version}; nothing to patch");
                return true;
            }
        }
        foreach (var file in Directory.EnumerateFiles(SearchRoot, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            var result = MarkWeak(file);
            Log.LogMessage(MessageImportance.Normal, $"{file}: {result}");
        }
        return !Log.HasLoggedErrors;
    }

    string FindLibStdCxx()
    {
        if (!string.IsNullOrEmpty(LibStdCxx)) return File.Exists(LibStdCxx) ? LibStdCxx : null;
        string[] dirs = { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64" };
        return dirs.Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);
    }

    // The task compiles against netstandard2.0 (no spans), hence the plain loop.
    static bool Contains(byte[] hay, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    string MarkWeak(string path)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            return "not a little-endian ELF64 file; left as is";
        ulong shoff = BitConverter.ToUInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(b, sh + 4) != ShtGnuVerneed) continue;
            ulong off = BitConverter.ToUInt64(b, sh + 0x18);
            uint link = BitConverter.ToUInt32(b, sh + 0x28), count = BitConverter.ToUInt32(b, sh + 0x2C);
            int strtab = checked((int)BitConverter.ToUInt64(b, checked((int)shoff + (int)link * shentsize) + 0x18));
            int vn = (int)off;
            for (uint n = 0; n < count; n++)
            {
                int aux = vn + (int)BitConverter.ToUInt32(b, vn + 8);
                int cnt = BitConverter.ToUInt16(b, vn + 2);
                for (int a = 0; a < cnt; a++)
                {
                    string name = ReadCString(b, strtab + (int)BitConverter.ToUInt32(b, aux + 8));
                    if (name == Version)
                    {
                        ushort flags = BitConverter.ToUInt16(b, aux + 4);
                        if ((flags & VerFlgWeak) != 0) return $"{Version} already weak; untouched";
                        flags |= VerFlgWeak;
                        // Keep the timestamp so MSBuild's incremental copy still sees the file as up to date.
                        var stamp = File.GetLastWriteTimeUtc(path);
                        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write))
                        {
                            fs.Position = aux + 4;
                            fs.Write(BitConverter.GetBytes(flags), 0, 2);
                        }
                        File.SetLastWriteTimeUtc(path, stamp);
                        return $"marked {Version} weak";
                    }
                    aux += (int)BitConverter.ToUInt32(b, aux + 12);
                }
                uint next = BitConverter.ToUInt32(b, vn + 12);
                if (next == 0) break;
                vn += (int)next;
            }
        }
        return $"does not require {Version}; untouched";
    }

    static string ReadCString(byte[] b, int at)
    {
        int end = at;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, at, end - at);
    }
}
