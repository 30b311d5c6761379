using System.Runtime.InteropServices;

namespace SelfSup.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM while training: instead of the default termination, the first one cancels
/// <see cref="Token"/> (the Trainer finishes the step in flight and writes a checkpoint); later ones are ignored with a
/// note, so the checkpoint being written is never cut short. Disposing restores the default behaviour.
/// </summary>
public sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly PosixSignalRegistration[] registrations;
    readonly Lock gate = new();
    bool disposed;

    public StopSignals()
    {
        registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => source.Token;

    void Handle(PosixSignalContext context)
    {
        var name = context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
        lock (gate)
        {
            if (disposed) return; // the default: terminate
            context.Cancel = true;
            if (source.IsCancellationRequested)
            {
                Console.Error.WriteLine($"{name}: already stopping; exiting once the checkpoint is written");
                return;
            }
            Console.Error.WriteLine($"{name}: stopping after the current step and writing a checkpoint");
            source.Cancel();
        }
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        lock (gate)
        {
            disposed = true;
            source.Dispose();
        }
    }
}
