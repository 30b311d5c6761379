using System.CommandLine;
using SelfSup.Distributed;
using SelfSup.Methods;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>
/// `--distributed mpi` and `--collective-timeout`: joins the MPI job this process was launched in (`mpirun -np N
/// selfsup pretrain … --distributed mpi`). Rank 0 prints and writes; the other ranks stay quiet unless they fail.
/// A rank that fails aborts the whole job, so the others do not wait for it until their collectives time out.
/// </summary>
public sealed class DistributedFlags
{
    readonly Option<string> mode = new("--distributed") { Description = "none, or mpi: data-parallel over the ranks of `mpirun -np N` (docs/distributed.md)", DefaultValueFactory = _ => "none" };
    readonly Option<double> timeout = new("--collective-timeout") { Description = "with --distributed: seconds a collective may wait for the other ranks before the job is aborted", DefaultValueFactory = _ => Mpi.DefaultTimeout.TotalSeconds };

    public DistributedFlags(Command cmd)
    {
        cmd.Options.Add(mode);
        cmd.Options.Add(timeout);
    }

    /// <summary>The collectives of this process: <see cref="SingleProcess"/> without --distributed, else the MPI job's.</summary>
    public ICollectives Start(ParseResult r)
    {
        switch (r.GetValue(mode)?.ToLowerInvariant())
        {
            case "none" or null: return SingleProcess.Instance;
            case "mpi":
                var seconds = r.GetValue(timeout);
                if (!(seconds > 0)) throw new ArgumentException($"--collective-timeout: expected seconds > 0, got {seconds}");
                var world = new MpiCollectives(Mpi.Initialize(TimeSpan.FromSeconds(seconds)));
                if (world.Rank != 0) Cli.Quiet = true;
                Cli.RankOnError = world;
                return world;
            default: throw new ArgumentException($"--distributed: expected none or mpi, got '{r.GetValue(mode)}'");
        }
    }

    /// <summary>Ranks that share this machine (Open MPI's OMPI_COMM_WORLD_LOCAL_SIZE; 1 when unknown).</summary>
    public static int LocalRanks => int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out var n) && n > 0 ? n : 1;

    /// <summary>This rank's index among the ranks of its machine (OMPI_COMM_WORLD_LOCAL_RANK; 0 when unknown).</summary>
    public static int LocalRank => int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_RANK"), out var n) && n >= 0 ? n : 0;

    /// <summary>
    /// The per-rank parts of a distributed run: libtorch threads default to this machine's cores shared among its
    /// ranks (not all cores per rank), and `--device cuda` becomes one GPU per local rank.
    /// </summary>
    public static RunConfig ForRank(RunConfig config, ICollectives world)
    {
        if (world.WorldSize == 1) return config;
        TorchRuntime.Initialize(config.Threads > 0 ? config.Threads : Math.Max(1, Environment.ProcessorCount / LocalRanks));
        if (config.Device == "cuda")
        {
            var gpus = TorchSharp.torch.cuda.device_count();
            if (gpus == 0) throw new ArgumentException("--device cuda: no CUDA device is visible to this rank");
            config = config with { Device = $"cuda:{LocalRank % gpus}" };
        }
        return config;
    }

    /// <summary>What rank 0 prints at the start: the ranks, the global and per-rank batch and the learning rate's scaling.</summary>
    public static string Describe(RunConfig config, ICollectives world)
    {
        var recipe = MethodRegistry.Get(config.Method).RecipeFor(config.Encoder);
        var fromRecipe = !config.SettingSources.TryGetValue("learning_rate", out var source) || source == "recipe";
        var rule = !fromRecipe ? $"lr {config.LearningRate:G4} as given ({source})" : recipe.Scaling switch
        {
            LrScaling.Linear => $"lr {config.LearningRate:G4} = base {recipe.BaseLearningRate:G4} × global batch {config.BatchSize} / {recipe.ReferenceBatch} (linear scaling rule)",
            LrScaling.Sqrt => $"lr {config.LearningRate:G4} = base {recipe.BaseLearningRate:G4} × √(global batch {config.BatchSize}) (square-root rule)",
            _ => $"lr {config.LearningRate:G4} (the recipe's, not scaled with the batch)",
        };
        var perRank = config.BatchSize % world.WorldSize == 0 ? $"{config.BatchSize / world.WorldSize}" : $"{config.BatchSize}/{world.WorldSize} (not divisible)";
        var library = world is MpiCollectives mpi ? $", {mpi.Mpi.Library.Version()}{(mpi.Mpi.Library.CudaAware ? ", CUDA-aware" : "")}" : "";
        return $"data-parallel: {world.WorldSize} ranks × {perRank} images = global batch {config.BatchSize}; {rule}; "
            + $"SyncBN {(config.SyncBatchNorm ? "on" : "off")}{library}";
    }
}
