using System.Runtime.CompilerServices;

namespace SelfSup.Tests;

/// <summary>Runs the library's oneDNN check before any test, as every SelfSup command does before its first model.</summary>
static class OneDnnCheckSetup
{
    [ModuleInitializer]
    internal static void Run() => OneDnnCheck.Run();
}
