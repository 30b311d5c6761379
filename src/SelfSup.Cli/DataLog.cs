using SelfSup.Data;

namespace SelfSup.Cli;

/// <summary>Dataset options that report preparation steps (copying, extracting, decoding) on the console.</summary>
public static class DataLog
{
    sealed class Sync(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    public static DatasetOptions Options() => new() { Log = new Sync(Cli.Info) };
}
