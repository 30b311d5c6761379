using System.Diagnostics;
using System.Text.Json;
using SelfSup.Tests.Methods;

namespace SelfSup.Tests;

/// <summary>The CUDA build is one MSBuild property: TorchBackend=cuda swaps TorchSharp-cpu for TorchSharp-cuda-linux.</summary>
public class TorchBackendSwitchTests
{
    /// <summary>The library project's package references as MSBuild evaluates them with <paramref name="properties"/> (no restore).</summary>
    static (int Code, List<string> Packages, string Output) Evaluate(params string[] properties)
    {
        var project = Path.Combine(MethodContractTests.RepoRoot(), "src", "SelfSup", "SelfSup.csproj");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "msbuild", project, "-getItem:PackageReference", "-nologo" }.Concat(properties)) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) return (p.ExitCode, [], output);
        var items = JsonDocument.Parse(output).RootElement.GetProperty("Items").GetProperty("PackageReference");
        return (0, items.EnumerateArray().Select(i => i.GetProperty("Identity").GetString()!).ToList(), output);
    }

    [Fact]
    public void TheDefaultLinksTheCpuBuild_AndOnePropertySwapsInCuda_LeavingEveryOtherPackage()
    {
        var (code, cpu, output) = Evaluate();
        Assert.True(code == 0, output);
        Assert.Contains("TorchSharp-cpu", cpu);
        Assert.DoesNotContain("TorchSharp-cuda-linux", cpu);

        var (cudaCode, cuda, cudaOutput) = Evaluate("-p:TorchBackend=cuda");
        Assert.True(cudaCode == 0, cudaOutput);
        Assert.Contains("TorchSharp-cuda-linux", cuda);
        Assert.DoesNotContain("TorchSharp-cpu", cuda);
        Assert.Equal(cpu.Where(n => n != "TorchSharp-cpu"), cuda.Where(n => n != "TorchSharp-cuda-linux"));
    }

    [Fact]
    public void AnUnknownBackend_IsABuildErrorNamingTheChoices()
    {
        var project = Path.Combine(MethodContractTests.RepoRoot(), "src", "SelfSup", "SelfSup.csproj");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "msbuild", project, "-t:CheckTorchBackend", "-p:TorchBackend=rocm", "-nologo" }) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("TorchBackend is 'rocm'; expected cpu (TorchSharp-cpu, the default) or cuda (TorchSharp-cuda-linux)", output);
    }
}
