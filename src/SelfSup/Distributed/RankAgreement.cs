using System.Security.Cryptography;
using System.Text;
using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Distributed;

/// <summary>
/// Checks that ranks agree: the same configuration at the start, and the same weights and buffers (teachers,
/// queues, centres, running statistics) at every checkpoint. Every rank gathers every rank's value and throws the
/// same error, so a disagreement ends all ranks at once instead of one rank waiting on the others.
/// </summary>
public static class RankAgreement
{
    /// <summary>Throws unless every rank holds the same <paramref name="text"/>, naming the first line that differs.</summary>
    public static void SameText(ICollectives world, string text, string what)
    {
        if (world.WorldSize == 1) return;
        var all = world.AllGatherBytes(Encoding.UTF8.GetBytes(text), what);
        var mine = all[0];
        for (var r = 1; r < all.Length; r++)
        {
            if (all[r].AsSpan().SequenceEqual(mine)) continue;
            var a = Encoding.UTF8.GetString(mine).Split('\n');
            var b = Encoding.UTF8.GetString(all[r]).Split('\n');
            var i = 0;
            while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
            string Line(string[] lines) => i < lines.Length ? $"'{lines[i].Trim()}'" : "(no line)";
            throw new InvalidOperationException($"ranks run different {what}: rank 0 has {Line(a)}, rank {r} has {Line(b)} (line {i + 1}); every rank must be launched with the same settings");
        }
    }

    /// <summary>SHA-256 of every parameter and buffer of <paramref name="model"/>, in name order.</summary>
    public static byte[] StateDigest(nn.Module model)
    {
        using var sha = SHA256.Create();
        foreach (var (name, t) in model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.named_buffers()).OrderBy(p => p.Item1, StringComparer.Ordinal))
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            sha.TransformBlock(nameBytes, 0, nameBytes.Length, null, 0);
            using var cpu = t.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return sha.Hash!;
    }

    /// <summary>Throws unless every rank's model state is bit-identical (<see cref="StateDigest"/>).</summary>
    public static void SameState(ICollectives world, nn.Module model, long step)
    {
        if (world.WorldSize == 1) return;
        var all = world.AllGatherBytes(StateDigest(model), $"state digest at step {step}");
        var differing = Enumerable.Range(1, all.Length - 1).Where(r => !all[r].AsSpan().SequenceEqual(all[0])).ToList();
        if (differing.Count > 0)
            throw new InvalidOperationException(
                $"ranks diverged at step {step}: the weights or buffers of rank(s) {string.Join(", ", differing)} differ from rank 0's. " +
                "The method keeps state that is not synchronised across ranks; report it with the method's name");
    }
}
