using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SelfSup.Leaderboard;
using SelfSup.Methods;
using SelfSup.Runs;
using AssemblyInformationalVersionAttribute = System.Reflection.AssemblyInformationalVersionAttribute;
using MethodInfo = SelfSup.Methods.MethodInfo;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup bench methods`: every registered image method under one protocol on one dataset (<see cref="BenchProtocol"/>),
/// method by method and resumable (<see cref="LeaderboardRun"/>); each finished method's result file is copied to
/// docs/results and docs/leaderboard.md is rebuilt from the files there (<see cref="LeaderboardPage"/>).
/// </summary>
public static class BenchMethodsCommand
{
    public static Command Create()
    {
        var cmd = new Command("methods", "Train and evaluate every registered method under one wall-time budget per method; writes docs/leaderboard.md (see bench/README.md)");
        var data = new Option<string>("--data") { Description = "built-in dataset or path", DefaultValueFactory = _ => "cifar10" };
        var minutes = new Option<double?>("--minutes") { Description = "pretraining wall time per method (default: cifar10 10, pneumoniamnist 3)" };
        var methods = new Option<string?>("--methods") { Description = "comma-separated method names (default: every registered method)" };
        var output = new Option<string>("--out") { Description = "folder of the runs: OUT/DATASET/METHOD/{result.json,run/}", DefaultValueFactory = _ => "runs/leaderboard" };
        var docs = new Option<string>("--docs") { Description = "docs folder: result files are copied to DOCS/results, the page is DOCS/leaderboard.md", DefaultValueFactory = _ => "docs" };
        var noDocs = new Option<bool>("--no-docs") { Description = "write only the run folder's result files, not the docs" };
        var batch = new Option<int>("--batch-size") { Description = "images per step for every method (each recipe scales its learning rate to it)", DefaultValueFactory = _ => 256 };
        var encoder = new Option<string>("--encoder") { Description = "encoder of the CNN methods", DefaultValueFactory = _ => "resnet18" };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 16 };
        var vit = new Option<string>("--vit-encoder") { Description = "encoder of the methods that need a ViT (mae, beit, ijepa, ibot)", DefaultValueFactory = _ => "vit-tiny/p4/d4" };
        var vitWidth = new Option<int>("--vit-width") { DefaultValueFactory = _ => 128 };
        var dataLimit = new Option<int?>("--data-limit") { Description = "pretrain on a seeded subset of at most this many training images" };
        var ftSeeds = new Option<int>("--ft-seeds") { Description = "fine-tuning seeds at --ft-labels-per-class (0: no fine-tuning)", DefaultValueFactory = _ => 1 };
        var ftLabels = new Option<int>("--ft-labels-per-class") { DefaultValueFactory = _ => 10 };
        var trainLimit = new Option<int?>("--eval-train-limit") { Description = "evaluate on a seeded subset of this many training images" };
        var testLimit = new Option<int?>("--eval-test-limit") { Description = "evaluate on a seeded subset of this many test images" };
        var calibration = new Option<int>("--calibration-steps") { Description = "steps timed to measure each method's speed (after 2 untimed)", DefaultValueFactory = _ => 5 };
        var safety = new Option<double>("--safety") { Description = "share of the budget planned for", DefaultValueFactory = _ => 0.9 };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0: core count)", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "rerun methods that already have a finished result" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the plan (methods, encoders, time) and stop" };
        var set = new Option<string[]>("--set") { Description = "method option key=value for the one method of --methods, e.g. --set epsilon=0.03 (repeatable; see `selfsup methods NAME`); recorded in its result file; give it its own --out, since a finished result there is reused", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = false };
        var reportOnly = new Option<bool>("--report-only") { Description = "only rebuild DOCS/leaderboard.md and its charts from DOCS/results" };
        foreach (var o in new Option[] { data, minutes, methods, output, docs, noDocs, batch, encoder, width, vit, vitWidth, dataLimit, ftSeeds, ftLabels,
                     trainLimit, testLimit, calibration, safety, seed, device, threads, force, dryRun, set, reportOnly })
            cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var docsDir = r.GetValue(noDocs) ? null : r.GetValue(docs)!;
            var imageMethods = MethodRegistry.All;
            if (r.GetValue(reportOnly))
            {
                if (docsDir is null) throw new ArgumentException("--report-only: the page is written to --docs; drop --no-docs");
                Console.WriteLine($"wrote {LeaderboardPage.Write(docsDir, imageMethods)}");
                return 0;
            }
            var dataName = r.GetValue(data)!;
            var budgetMinutes = r.GetValue(minutes) ?? BenchProtocol.DefaultMinutes(dataName)
                ?? throw new ArgumentException($"--minutes: no default budget for '{dataName}' (defaults: cifar10 10, pneumoniamnist 3); give one");
            if (!(budgetMinutes > 0)) throw new ArgumentException($"--minutes: expected a positive number, got {budgetMinutes}");
            var protocol = new BenchProtocol
            {
                Data = dataName,
                BudgetSeconds = budgetMinutes * 60,
                BatchSize = Positive(r.GetValue(batch), "--batch-size"),
                CnnEncoder = r.GetValue(encoder)!,
                CnnWidth = r.GetValue(width),
                VitEncoder = r.GetValue(vit)!,
                VitWidth = r.GetValue(vitWidth),
                DataLimit = r.GetValue(dataLimit),
                Seed = r.GetValue(seed),
                Device = r.GetValue(device)!,
                Threads = r.GetValue(threads),
                CalibrationSteps = Positive(r.GetValue(calibration), "--calibration-steps"),
                Safety = r.GetValue(safety),
                FineTuneSeeds = r.GetValue(ftSeeds) >= 0 ? r.GetValue(ftSeeds) : throw new ArgumentException($"--ft-seeds: expected 0 or more, got {r.GetValue(ftSeeds)}"),
                FineTuneLabelsPerClass = Positive(r.GetValue(ftLabels), "--ft-labels-per-class"),
                EvalTrainLimit = r.GetValue(trainLimit),
                EvalTestLimit = r.GetValue(testLimit),
            };
            var selected = Select(r.GetValue(methods));
            var overrides = Overrides(r.GetValue(set) ?? []);
            if (overrides.Count > 0)
            {
                // Option names belong to one method, and a changed recipe is not the protocol's row: keep it out of the docs unless asked.
                if (selected.Count != 1) throw new ArgumentException($"--set: names options of one method; give exactly one with --methods (got {selected.Count})");
                protocol = protocol with { OptionOverrides = overrides };
                if (r.GetResult(docs) is null or { Implicit: true } && docsDir is not null)
                {
                    docsDir = null;
                    Cli.Info("--set: the changed recipe's result stays in --out; the docs' leaderboard is left as it is (give --docs to copy it there)");
                }
            }
            if (r.GetValue(dryRun))
            {
                PrintPlan(protocol, selected);
                return 0;
            }
            var provenance = Provenance(Command(r), protocol.Device);
            var outDir = r.GetValue(output)!;
            var log = new Lines(Cli.Info);
            var clock = Stopwatch.StartNew();
            var outcomes = LeaderboardRun.Run(selected, protocol, outDir, provenance,
                (method, dir) => MethodBench.Run(method, protocol, dir, log, new StepLines(method.Name)),
                r.GetValue(force), log,
                written: path =>
                {
                    if (docsDir is null) return;
                    var entry = LeaderboardResultFile.Load(path).Entry;
                    var copy = Path.Combine(docsDir, "results", LeaderboardPage.ResultFileName(entry.Dataset, entry.Method));
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(copy))!);
                    File.Copy(path, copy, overwrite: true);
                    LeaderboardPage.Write(docsDir, imageMethods);
                });
            if (docsDir is not null) LeaderboardPage.Write(docsDir, imageMethods);
            foreach (var o in outcomes)
                Console.WriteLine($"{o.Method}: {o.Status}{(o.Reused ? " (earlier result kept)" : "")} {o.ResultPath}");
            var page = docsDir is null ? "" : $"; page {Path.Combine(docsDir, "leaderboard.md")}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{outcomes.Count(o => o.Status == EntryStatus.Done)} done, {outcomes.Count(o => o.Status == EntryStatus.Failed)} failed, {outcomes.Count(o => o.Status == EntryStatus.Skipped)} skipped in {clock.Elapsed.TotalMinutes:F1} min{page}"));
            return outcomes.Any(o => o.Status == EntryStatus.Failed) ? 2 : 0;
        }));
        return cmd;
    }

    /// <summary>--set key=value pairs, each key once.</summary>
    static Dictionary<string, string> Overrides(IEnumerable<string> pairs)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in RunOptions.SetPairs(pairs))
            if (!options.TryAdd(key, value)) throw new ArgumentException($"--set: '{key}' is given twice");
        return options;
    }

    static int Positive(int value, string flag) => value > 0 ? value : throw new ArgumentException($"{flag}: expected a positive number, got {value}");

    /// <summary>The methods named (in registry order), or all of them.</summary>
    static IReadOnlyList<MethodInfo> Select(string? names)
    {
        if (string.IsNullOrWhiteSpace(names)) return MethodRegistry.All;
        var wanted = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in wanted)
            if (!MethodRegistry.IsKnown(name))
                throw new ArgumentException($"--methods: unknown method '{name}'; expected some of: {string.Join(", ", MethodRegistry.All.Select(m => m.Name))}");
        return MethodRegistry.All.Where(m => wanted.Contains(m.Name, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    static void PrintPlan(BenchProtocol protocol, IReadOnlyList<MethodInfo> methods)
    {
        var trained = 0;
        foreach (var m in methods)
        {
            if (BenchProtocol.SkipReason(m) is { } reason) Console.WriteLine($"{m.Name,-20} skipped: {reason}");
            else
            {
                trained++;
                var setup = protocol.SetupFor(m);
                var recipe = m.RecipeFor(setup.Encoder);
                var options = setup.MethodOptions.Count > 0 ? " " + string.Join(" ", setup.MethodOptions.Select(kv => $"{kv.Key}={kv.Value}")) : "";
                Console.WriteLine($"{m.Name,-20} {m.Family,-24} {setup.Describe()}{options}, {recipe.Optimizer.ToString().ToLowerInvariant()} lr {recipe.LearningRate(protocol.BatchSize):G3}");
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{trained} methods × {protocol.BudgetSeconds / 60:0.##} min of pretraining = {trained * protocol.BudgetSeconds / 3600:F1} h, plus each method's calibration and evaluation"));
    }

    /// <summary>The command line as typed, for the result files.</summary>
    static string Command(ParseResult r) =>
        Cli.Name + " " + string.Join(" ", r.Tokens.Select(t => t.Value.Any(char.IsWhiteSpace) || t.Value.Length == 0 ? $"'{t.Value}'" : t.Value));

    /// <summary>The result files' command, commit (the one the running library was built from), machine and date.</summary>
    static ResultProvenance Provenance(string command, string device)
    {
        var version = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<AssemblyInformationalVersionAttribute>(typeof(BenchProtocol).Assembly)?.InformationalVersion ?? "";
        var plus = version.IndexOf('+');
        var commit = plus >= 0 ? version[(plus + 1)..] : Git("rev-parse HEAD")
            ?? throw new InvalidOperationException("the commit of this build is unknown (no source revision in the assembly, no git): result files need one");
        // The build's own tree state, recorded when it compiled: the tree beside a running copy may have moved on since.
        var state = System.Reflection.CustomAttributeExtensions
            .GetCustomAttributes<System.Reflection.AssemblyMetadataAttribute>(typeof(BenchProtocol).Assembly)
            .FirstOrDefault(a => a.Key == "SourceTreeState")?.Value;
        var dirty = state switch
        {
            "clean" => "its sources had no uncommitted changes",
            "modified" => "its sources had uncommitted changes to tracked files",
            _ => "whether its sources had uncommitted changes is unknown",
        };
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var gpu = device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) ? $"GPU ({device})" : "no GPU";
        return new ResultProvenance(
            [command, "# one method of this command; rerun it alone with --methods NAME --force"],
            commit,
            $"{Environment.ProcessorCount}-core CPU ({cpu ?? "unknown model"}), {gpu}",
            DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            $"written by selfsup bench methods; commit is the source revision the SelfSup library was built from; {dirty}");
    }

    static string? Git(string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (git is null) return null;
            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    sealed class Lines(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    /// <summary>A line every tenth of a run.</summary>
    sealed class StepLines(string name) : IProgress<TrainProgress>
    {
        long next;

        public void Report(TrainProgress p)
        {
            if (p.Step < next && p.Step != p.TotalSteps) return;
            next = p.Step + Math.Max(1, p.TotalSteps / 10);
            Cli.Info(string.Create(CultureInfo.InvariantCulture, $"{name} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s"));
        }
    }
}
