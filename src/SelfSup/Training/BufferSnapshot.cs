using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>
/// A copy of a module's buffers (BatchNorm statistics, feature queues and their pointers, teacher centres) taken
/// before a training step and written back when the step is skipped, so a skipped step leaves no trace: a forward
/// pass over a bad batch would otherwise have moved running statistics or enqueued non-finite keys. The copies are
/// allocated once and refilled in place on every <see cref="Take"/> (re-allocated only when a buffer changes shape).
/// </summary>
public sealed class BufferSnapshot(nn.Module module) : IDisposable
{
    readonly List<(Tensor Buffer, Tensor Copy)> saved = [];

    /// <summary>Copies every buffer's current value.</summary>
    public void Take()
    {
        using var noGrad = no_grad();
        var buffers = module.buffers().ToList();
        for (var i = 0; i < buffers.Count; i++)
        {
            var b = buffers[i];
            if (i < saved.Count && saved[i].Copy.dtype == b.dtype && saved[i].Copy.device_type == b.device_type && saved[i].Copy.device_index == b.device_index && saved[i].Copy.shape.SequenceEqual(b.shape))
            {
                saved[i].Copy.copy_(b);
                saved[i] = (b, saved[i].Copy);
                continue;
            }
            var copy = b.detach().clone().DetachFromDisposeScope();
            if (i < saved.Count)
            {
                saved[i].Copy.Dispose();
                saved[i] = (b, copy);
            }
            else saved.Add((b, copy));
        }
        while (saved.Count > buffers.Count)
        {
            saved[^1].Copy.Dispose();
            saved.RemoveAt(saved.Count - 1);
        }
    }

    /// <summary>Writes the values of the last <see cref="Take"/> back into the buffers, in place.</summary>
    public void Restore()
    {
        using var noGrad = no_grad();
        foreach (var (buffer, copy) in saved) buffer.copy_(copy);
    }

    public void Dispose()
    {
        foreach (var (_, copy) in saved) copy.Dispose();
        saved.Clear();
    }
}
