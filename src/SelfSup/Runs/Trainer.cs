using System.Diagnostics;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Distributed;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Text;
using SelfSup.Reporting;
using SelfSup.Reporting.Plots;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>Progress of a run, reported after every step.</summary>
public sealed record TrainProgress(long Step, long TotalSteps, int Epoch, double Loss, double LearningRate, double ImagesPerSecond)
{
    /// <summary>The embedding monitors, on the steps they were measured (<see cref="RunConfig.MonitorEvery"/>).</summary>
    public EmbeddingHealth? Health { get; init; }
    /// <summary>The online k-NN probe, on the steps that end a probed epoch.</summary>
    public OnlineProbeResult? Probe { get; init; }
    /// <summary>A warning to show the user, set once per run when it first applies (e.g. collapse).</summary>
    public string? Warning { get; init; }
}

/// <summary>What a finished (or stopped) run did.</summary>
public sealed record TrainSummary(long StepsDone, long TotalSteps, double FinalLoss, double Seconds, double ImagesPerSecond, string? LastCheckpoint)
{
    /// <summary>Warnings raised during the run (each at most once), e.g. collapse.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>The method was fitted in closed form (<see cref="ClosedFormMethod"/>): no optimiser steps were taken.</summary>
    public bool ClosedForm { get; init; }
    /// <summary>The run stopped early on its cancellation token (after the step in flight, with a checkpoint written): resume it to finish.</summary>
    public bool Interrupted { get; init; }
    /// <summary>Steps skipped because their loss or gradient norm was not finite (<see cref="RunConfig.SkipNonFinite"/>), in all segments of the run.</summary>
    public long SkippedSteps { get; init; }
}

/// <summary>
/// The one training loop: loader → views (on the device) → method step → optimizer with a precomputed
/// warm-up + cosine schedule, a DisposeScope per step, JSONL metrics, atomic checksummed checkpoints and exact resume.
/// A <see cref="RunLock"/> keeps a second run out of the run folder while <see cref="Fit"/> runs.
/// Every <see cref="RunConfig.MonitorEvery"/> steps it measures the encoder's embeddings of the current views
/// (<see cref="CollapseMonitor"/>) and every <see cref="RunConfig.OnlineProbeEvery"/> epochs it runs a k-NN
/// <see cref="Evaluation.OnlineProbe"/>; neither draws random numbers nor touches gradients, so both leave the
/// training trajectory unchanged. With <see cref="RunConfig.TensorBoard"/> every metrics.jsonl record is also written
/// to TensorBoard event files (<see cref="TensorBoardLog"/>), with reconstructions at each checkpoint and the training
/// curves at the end; on resume both logs are cut back to the checkpoint's step, and a fresh run in a used folder
/// starts both afresh. Whatever a run logs at a step is written before the checkpoint of that step, so a process
/// killed at any moment resumes to the same weights, losses and logs as the uninterrupted run (docs/reliability.md).
/// A step whose loss or total gradient norm is not finite throws <see cref="NonFiniteLossException"/> before the
/// optimizer steps, so last.ckpt keeps the last good state; with <see cref="RunConfig.SkipNonFinite"/> the step is
/// skipped instead. Cancelling <see cref="Fit"/>'s token stops the run after the step in flight, with a checkpoint.
/// </summary>
public sealed class Trainer
{
    readonly SslMethod method;
    readonly ITrainingData data;
    readonly RunConfig config;
    readonly string runDir;
    readonly Device device;

    /// <summary>An image method trained on <paramref name="loader"/>'s images through the <paramref name="views"/> recipe.</summary>
    public Trainer(SslMethod method, IViewRecipe views, DataLoader loader, RunConfig config, string runDir)
        : this(method, new ImageTrainingData(loader, views, StatsOf(config, loader), RepresentationOf(method)), config, runDir) { }

    /// <summary>A method trained on any <see cref="ITrainingData"/> (image views, or token sequences for a <see cref="TextMethod"/>).</summary>
    public Trainer(SslMethod method, ITrainingData data, RunConfig config, string runDir)
    {
        this.method = ConvolutionGuard.Watch(method); // a method's own convolutions, too, are checked where oneDNN is suspect
        this.data = data;
        this.config = config;
        this.runDir = runDir;
        device = TorchRuntime.ParseDevice(config.Device);
    }

    public string CheckpointDir => Path.Combine(runDir, "checkpoints");
    public string LastCheckpointPath => Path.Combine(CheckpointDir, "last.ckpt");
    public string MetricsPath => Path.Combine(runDir, "metrics.jsonl");
    public string TensorBoardDir => Path.Combine(runDir, TensorBoardLog.FolderName);

    /// <summary>How many training images (the first ones) the TensorBoard reconstruction picture shows.</summary>
    public const int PictureImages = 8;

    /// <summary>
    /// The online probe to run when <see cref="RunConfig.OnlineProbeEvery"/> &gt; 0 (the caller keeps ownership);
    /// null: built from the config at the start of <see cref="Fit"/> and disposed at its end.
    /// </summary>
    public OnlineProbe? OnlineProbe { get; set; }

    /// <summary>How the online probe's data is prepared when the Trainer loads it (e.g. a log of preparation steps).</summary>
    public DatasetOptions? ProbeDataOptions { get; set; }

    /// <summary>
    /// The processes training together (docs/distributed.md). With more than one, each makes the whole batch's views
    /// and trains on its share of the rows, gradients are averaged over ranks before the optimizer steps, BatchNorm
    /// uses the global batch's statistics (<see cref="RunConfig.SyncBatchNorm"/>), and rank 0 alone writes the
    /// config, logs and checkpoints; the ranks check at the start that they run the same configuration and at every
    /// checkpoint that their weights and buffers are identical.
    /// </summary>
    public ICollectives Collectives { get; set; } = SingleProcess.Instance;

    /// <summary>
    /// Trains until all epochs (or <see cref="RunConfig.MaxSteps"/>) are done; resumes from last.ckpt when asked.
    /// When <paramref name="cancel"/> is cancelled the step in flight finishes, a checkpoint is written and the
    /// summary says <see cref="TrainSummary.Interrupted"/>.
    /// </summary>
    public TrainSummary Fit(bool resume = false, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        var stepsPerEpoch = data.BatchesPerEpoch;
        long total = (long)config.Epochs * stepsPerEpoch;
        var lrs = Schedules.WarmupCosine(config.LearningRate, total, (long)Math.Round(config.WarmupEpochs * stepsPerEpoch));
        var wds = config.WeightDecayEnd is { } wdEnd ? Schedules.Cosine(config.WeightDecay, wdEnd, total) : null;
        var stopAt = Math.Min(total, config.MaxSteps ?? total);
        if (config.MonitorEvery < 0) throw new ArgumentException($"monitor_every must be ≥ 0, got {config.MonitorEvery}");
        if (config.OnlineProbeEvery < 0) throw new ArgumentException($"online_probe_every must be ≥ 0, got {config.OnlineProbeEvery}");
        if (config.SkipNonFinite < 0) throw new ArgumentException($"skip_nonfinite must be ≥ 0, got {config.SkipNonFinite}");

        void Warn(string warning) => progress?.Report(new TrainProgress(0, total, 0, double.NaN, 0, 0) { Warning = warning });
        var world = Collectives;
        var writer = world.Rank == 0; // rank 0 alone writes the run folder
        if (world.WorldSize > 1 && method.DataParallelProblem(config.SyncBatchNorm) is { } problem) throw new ArgumentException(problem);
        // The device is per rank (one GPU each); everything else must agree.
        RankAgreement.SameText(world, (config with { Device = device.type.ToString() }).ToYaml(), "configurations");
        using var runLock = writer ? RunLock.Acquire(runDir, Warn) : null; // the first write: a read-only or busy folder fails here
        if (writer) WriteConfig();
        // A checkpoint a killed process left half-written is never read; the next save replaces it.
        if (writer && File.Exists(LastCheckpointPath + ".tmp")) File.Delete(LastCheckpointPath + ".tmp");
        if (!resume && writer)
        {
            // A fresh run writes fresh logs: steps of an earlier run in this folder would be counted twice.
            File.Delete(MetricsPath);
            TensorBoardLog.DeleteEventFiles(TensorBoardDir);
        }
        method.to(device);
        var precision = PrecisionOf(config);
        if (precision != ScalarType.Float32)
        {
            if (config.MonitorEvery > 0 || config.OnlineProbeEvery > 0)
                throw new ArgumentException($"precision {config.Precision}: the collapse monitor and the online probe run in float32; set monitor_every and online_probe_every to 0");
            method.to(precision);
        }
        method.train();
        if (method is ClosedFormMethod closedForm) return FitClosedForm(closedForm, total, cancel);
        using var optimizer = TrainingOptimizer.For(config, method.parameters(), method.FixedLearningRateParameters);
        using var generator = new Generator((ulong)config.Seed, new Device(DeviceType.CPU));

        var images = data as ImageTrainingData;
        if (images is null && config.OnlineProbeEvery > 0)
            throw new ArgumentException($"online_probe_every: the online k-NN probe reads images; method '{config.Method}' trains on text, set it to 0");
        var monitor = config.MonitorEvery > 0 ? new CollapseMonitor(RepresentationDim(method), config.CollapseStdThreshold, config.CollapseRankFraction) : null;
        using var ownedProbe = images is not null && config.OnlineProbeEvery > 0 && OnlineProbe is null
            ? OnlineProbe.FromConfig(config, config.NormalizeMean.Length > 0 ? images.Stats : null, ProbeDataOptions)
            : null;
        var probe = config.OnlineProbeEvery > 0 ? OnlineProbe ?? ownedProbe : null;
        var representation = probe is null ? null : method.Representation;
        var warnings = new List<string>();
        bool collapseWarned = false, rankWarned = false, outputWarned = false;

        long step = 0, checkpointStep = 0, skipped = 0;
        if (resume)
        {
            if (!File.Exists(LastCheckpointPath))
                throw new FileNotFoundException($"{LastCheckpointPath}: nothing to resume from (no checkpoint in {runDir})");
            var state = Checkpoint.Load(LastCheckpointPath, method, optimizer);
            if (Checkpoint.UnverifiedWarning(LastCheckpointPath, state) is { } unverified) Warn(unverified);
            if (state.TotalSteps != total)
                throw new InvalidDataException($"{LastCheckpointPath}: checkpoint was made for {state.TotalSteps} total steps but this run has {total}; epochs, batch size and data must match to resume");
            step = checkpointStep = state.Step;
            Checkpoint.RestoreGenerator(generator, state.AugmentRng);
            if (state.TorchRng.Length > 0)
            {
                using var rng = tensor(state.TorchRng, ScalarType.Byte);
                torch.random.set_rng_state(rng);
            }
            if (writer)
            {
                TruncateMetricsAfter(step);
                TensorBoardLog.TruncateAfter(TensorBoardDir, step);
            }
            skipped = SkippedSteps(MetricsPath);
        }
        // Rank 0's weights and buffers everywhere: the ranks start (or resume) from one state.
        using (no_grad())
            foreach (var t in method.parameters().Concat(method.buffers())) world.Broadcast(t);
        using var syncBatchNorm = world.WorldSize > 1 && config.SyncBatchNorm ? SyncBatchNorm.Attach(method, world) : null;
        var finished = resume && step >= stopAt; // resumed from the final checkpoint: nothing is left to do or log
        // Only a run that may skip steps pays for copying the buffers before each one.
        using var snapshot = config.SkipNonFinite > 0 ? new BufferSnapshot(method) : null;

        using var metrics = writer ? new MetricsLog(MetricsPath) : null;
        var tensorboard = config.TensorBoard && writer ? new TensorBoardLog(TensorBoardDir) : null;
        void Log(Dictionary<string, object> record)
        {
            metrics?.Write(record);
            tensorboard?.Scalars(record);
        }
        var clock = Stopwatch.StartNew();
        long imagesSeen = 0;
        double lastLoss = double.NaN;
        // A run resumed mid-epoch continues the epoch's mean loss from the steps metrics.jsonl kept.
        var (epochLossSum, epochSteps) = resume && writer ? EpochLossSoFar(step, stepsPerEpoch) : (0.0, 0);
        string? lastCheckpoint = resume ? LastCheckpointPath : null;
        if (!writer) probe = null; // evaluation reads no other rank's state: rank 0 runs it, the others wait at the next collective
        if (probe is not null && step == 0)
        {
            // The untrained encoder's score: the baseline the probe curve starts from.
            var before = probe.Evaluate(representation!, device);
            Log(new Dictionary<string, object> { ["step"] = 0L, ["epoch"] = 0 }.Concat(ProbeFields(before)).ToDictionary());
            progress?.Report(new TrainProgress(0, total, 0, double.NaN, lrs.Length > 0 ? lrs[0] : 0, 0) { Probe = before });
        }

        // A stop request (SIGINT/SIGTERM) reaches the ranks at different moments: they stop together, at the first step
        // boundary where any rank has it, so that all of them write (or skip) the same collectives.
        var stopping = false;
        bool Stopping()
        {
            if (world.WorldSize == 1) return stopping = cancel.IsCancellationRequested;
            using var flag = tensor(cancel.IsCancellationRequested ? 1.0 : 0.0, ScalarType.Float64);
            using var any = world.AllReduceMean(flag);
            return stopping = any.item<double>() > 0;
        }

        // Before a checkpoint the ranks must hold one state: BatchNorm statistics kept per rank are rank 0's from here on.
        void AgreeOnState()
        {
            if (world.WorldSize == 1) return;
            if (!config.SyncBatchNorm) SyncBatchNorm.BroadcastRunningStatistics(method, world);
            RankAgreement.SameState(world, method, step);
        }

        // The epoch's record and the pictures go before the checkpoint of their step: a process killed between the
        // two resumes from the step before and logs them again, never the checkpoint without them.
        void EndOfStep()
        {
            if (step % stepsPerEpoch == 0 && epochSteps > 0)
            {
                Log(new Dictionary<string, object>
                {
                    ["step"] = step, ["epoch"] = (int)(step / stepsPerEpoch), ["epoch_loss"] = epochLossSum / epochSteps,
                    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
                });
                epochLossSum = 0;
                epochSteps = 0;
            }
            if (config.CheckpointEvery <= 0 || step % config.CheckpointEvery != 0 || step >= stopAt) return;
            AgreeOnState();
            if (tensorboard is not null) LogPictures(tensorboard, step, final: false);
            lastCheckpoint = writer ? SaveCheckpoint(step, total, optimizer, generator) : LastCheckpointPath;
            checkpointStep = step;
        }

        // Wall time since the loop began: with data reads and everything else between steps, unlike images_per_s.
        var wall = Stopwatch.StartNew();
        while (step < stopAt)
        {
            int epoch = (int)(step / stepsPerEpoch);
            int startBatch = (int)(step % stepsPerEpoch);
            if (data.EpochContext(epoch, startBatch, device, config.Seed, step, total) is { } epochContext) method.BeforeEpoch(epochContext);
            foreach (var batch in data.Epoch(epoch, startBatch, device))
            {
                using var b = batch;
                if (step >= stopAt || Stopping()) break;
                var stepClock = Stopwatch.StartNew();
                var commBefore = (world as MpiCollectives)?.Mpi.CollectiveSeconds ?? 0;
                double loss, stepSeconds;
                EmbeddingHealth? health = null;
                string? outputCollapse = null, nonFinite = null;
                var scalars = new Dictionary<string, object>();
                using (var scope = NewDisposeScope())
                {
                    snapshot?.Take();
                    var prepared = b.Prepare(device, generator);
                    var context = new StepContext(step, total, epoch, stepsPerEpoch, world);
                    // Every rank made the whole batch's views from the same generator; each trains on its rows.
                    var trainingBatch = prepared.Batch.Shard(world.Rank, world.WorldSize).WithFloatType(precision);
                    optimizer.SetLearningRate(lrs[step]);
                    if (wds is not null) optimizer.SetWeightDecay(wds[step]);
                    var result = method.TrainingStep(trainingBatch, context);
                    loss = world.WorldSize == 1 ? Scalar(result.Loss) : MeanOverRanks(world, result.Loss); // every rank decides alike
                    if (!double.IsFinite(loss)) nonFinite = $"loss is {Number(loss)}";
                    else
                    {
                        optimizer.ZeroGrad();
                        result.Loss.backward();
                        GradientBuckets.Average(method.parameters().Where(p => p.requires_grad), world);
                        method.BeforeOptimizerStep(context);
                        var trainable = method.parameters().Where(p => p.requires_grad);
                        // clip_grad_norm_ returns the norm before clipping: the same check for free when clipping.
                        var gradNorm = config.GradClip > 0 ? nn.utils.clip_grad_norm_(trainable, config.GradClip) : NonFinite.GradientNorm(trainable);
                        if (!double.IsFinite(gradNorm)) nonFinite = $"gradient norm is {Number(gradNorm)} (loss {Number(loss)})";
                    }
                    if (nonFinite is not null)
                    {
                        // The optimizer has not stepped: the weights, the teacher and last.ckpt still hold the last good state.
                        if (skipped >= config.SkipNonFinite)
                            throw new NonFiniteLossException(nonFinite, step + 1, epoch + 1, lrs[step], ScalarValues(result),
                                lastCheckpoint, checkpointStep, skipped);
                        optimizer.ZeroGrad();
                        snapshot!.Restore();
                        skipped++;
                    }
                    else
                    {
                        optimizer.Step();
                        method.AfterOptimizerStep(context);
                        foreach (var (k, v) in ScalarMeans(world, result)) scalars[k] = v;
                        outputCollapse = method.OutputCollapse(scalars.ToDictionary(kv => kv.Key, kv => Convert.ToDouble(kv.Value, System.Globalization.CultureInfo.InvariantCulture)));
                    }
                    stepSeconds = stepClock.Elapsed.TotalSeconds;
                    var monitored = step + 1;
                    if (nonFinite is null && monitor is not null && (monitored == 1 || monitored % config.MonitorEvery == 0))
                    {
                        health = prepared.Measure(monitor);
                        // Finite gradients can still step to weights whose embeddings overflow (a far too large lr).
                        if (health.NonFinite)
                            throw new NonFiniteLossException($"the embeddings are not finite after the optimizer step (loss {Number(loss)})", step + 1, epoch + 1, lrs[step],
                                ScalarValues(result), lastCheckpoint, checkpointStep, skipped, skippable: false);
                    }
                }
                step++;
                imagesSeen += b.Indices.Length;
                var ips = b.Indices.Length / Math.Max(stepSeconds, 1e-9);
                if (nonFinite is not null)
                {
                    Log(new Dictionary<string, object>
                    {
                        ["step"] = step, ["epoch"] = epoch + 1, ["lr"] = lrs[step - 1], ["skipped_nonfinite"] = nonFinite, ["skipped_steps"] = skipped,
                        ["wall_s"] = Math.Round(wall.Elapsed.TotalSeconds, 3),
                    });
                    var skipWarning = $"skipped step {step} (epoch {epoch + 1}): {nonFinite}; {skipped} of at most {config.SkipNonFinite} skipped (skip_nonfinite)";
                    progress?.Report(new TrainProgress(step, total, epoch + 1, double.NaN, lrs[step - 1], ips) { Warning = skipWarning });
                    EndOfStep();
                    continue;
                }
                lastLoss = loss;
                epochLossSum += loss;
                epochSteps++;
                var record = new Dictionary<string, object>
                {
                    ["step"] = step, ["epoch"] = epoch + 1, ["loss"] = loss, ["lr"] = lrs[step - 1], ["images_per_s"] = Math.Round(ips, 1),
                    ["wall_s"] = Math.Round(wall.Elapsed.TotalSeconds, 3),
                    ["rss_mib"] = Math.Round(Environment.WorkingSet / 1048576.0, 1),
                    // the .NET heap's share of rss_mib (live objects and garbage not yet collected); the rest is native
                    ["managed_mib"] = Math.Round(GC.GetTotalMemory(forceFullCollection: false) / 1048576.0, 1),
                };
                foreach (var (k, val) in scalars) record[k] = val;
                if (world is MpiCollectives mpi)
                {
                    // This rank's time in collectives during the step: its communication share (and waits for slower ranks).
                    record["comm_s"] = Math.Round(mpi.Mpi.CollectiveSeconds - commBefore, 4);
                    record["step_s"] = Math.Round(stepSeconds, 4);
                }
                string? warning = null;
                if (health is not null)
                {
                    record["monitor_std"] = health.Std;
                    record["rank_me"] = health.RankMe;
                    if (double.IsFinite(health.Alignment)) record["alignment"] = health.Alignment;
                    record["uniformity"] = health.Uniformity;
                    if (health.Collapsed)
                    {
                        record["collapse_warning"] = true;
                        if (!collapseWarned)
                        {
                            collapseWarned = true;
                            warning = $"collapse: embedding std {health.Std:G3} < {monitor!.StdThreshold:G3} (collapse_std_threshold) at step {step}, RankMe {health.RankMe:F1} of {monitor.Dimension} dimensions; the encoder maps its inputs to nearly one point";
                            warnings.Add(warning);
                        }
                    }
                    else if (health.DimensionalCollapse)
                    {
                        record["dimensional_collapse_warning"] = true;
                        if (!rankWarned)
                        {
                            rankWarned = true;
                            warning = $"dimensional collapse: RankMe {health.RankMe:F1} < {monitor!.RankFraction:G2} × the attainable rank (collapse_rank_fraction) at step {step}, of {monitor.Dimension} dimensions; embeddings spread along only a few directions";
                            warnings.Add(warning);
                        }
                    }
                }
                if (outputCollapse is not null)
                {
                    record["output_collapse_warning"] = true;
                    if (!outputWarned)
                    {
                        outputWarned = true;
                        warning = $"{outputCollapse} (step {step})";
                        warnings.Add(warning);
                    }
                }
                OnlineProbeResult? probed = null;
                var epochDone = (int)(step / stepsPerEpoch);
                if (probe is not null && step % stepsPerEpoch == 0 && (epochDone % config.OnlineProbeEvery == 0 || step == total))
                {
                    probed = probe.Evaluate(representation!, device);
                    foreach (var (k, val) in ProbeFields(probed)) record[k] = val;
                }
                Log(record);
                progress?.Report(new TrainProgress(step, total, epoch + 1, loss, lrs[step - 1], ips) { Health = health, Probe = probed, Warning = warning });
                EndOfStep();
            }
            if (stopping) break;
        }

        // Pictures go before their checkpoint, for the same reason as the epoch's record.
        if (!finished)
        {
            AgreeOnState();
            if (tensorboard is not null) LogPictures(tensorboard, step, final: true);
            lastCheckpoint = writer ? SaveCheckpoint(step, total, optimizer, generator) : LastCheckpointPath;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainSummary(step, total, lastLoss, seconds, imagesSeen / Math.Max(seconds, 1e-9), lastCheckpoint)
        {
            Warnings = warnings, Interrupted = step < stopAt && stopping, SkippedSteps = skipped,
        };
    }

    /// <summary>
    /// TensorBoard pictures at a checkpoint: what the method reconstructs of the first <see cref="PictureImages"/>
    /// training images (always the same images and random draws, from the run's seed, so the pictures show progress),
    /// and at the end the training curves drawn from metrics.jsonl. A generator of its own and eval mode leave the
    /// training trajectory unchanged.
    /// </summary>
    void LogPictures(TensorBoardLog log, long step, bool final)
    {
        var png = Path.Combine(Path.GetTempPath(), $"selfsup-tensorboard-{Guid.NewGuid():N}.png");
        try
        {
            if (method is IReconstructionPictures drawer && data is ImageTrainingData images)
            {
                using (var scope = NewDisposeScope())
                using (var generator = new Generator((ulong)config.Seed, new Device(DeviceType.CPU)))
                {
                    var dataset = images.Loader.Dataset;
                    var shown = images.Stats.ToModelInput(dataset.Spread(PictureImages), device); // [n, C, H, W], from every part of the set
                    ReconstructionPicture.Save(png, drawer.ReconstructionColumns(shown, generator), images.Stats);
                }
                log.Picture("pictures/reconstructions", png, step);
            }
            if (final && TrainingCurves.Save(MetricsFile.Read(MetricsPath), png).Count > 0)
                log.Picture("pictures/curves", png, step);
        }
        finally
        {
            File.Delete(png);
        }
    }

    /// <summary>The run's normalisation (resolved runs carry it; otherwise measured on the training images).</summary>
    static ChannelStats StatsOf(RunConfig config, DataLoader loader) =>
        config.NormalizeMean.Length > 0 ? new ChannelStats(config.NormalizeMean, config.NormalizeStd) : ChannelStats.Measure(loader.Dataset);

    /// <summary>The image representation the collapse monitor measures; a text method has none (its data measures its text encoder).</summary>
    static Encoder RepresentationOf(SslMethod method) => method is TextMethod
        ? throw new ArgumentException($"{method.GetName()} is a text method: train it on text data (TextTrainingData), not images")
        : method.Representation;

    static int RepresentationDim(SslMethod method) => method is TextMethod text ? text.TextRepresentation.EmbeddingDim : method.Representation.EmbeddingDim;

    /// <summary>The closed-form path: one fit over the whole dataset, no optimizer, then the usual checkpoint.</summary>
    TrainSummary FitClosedForm(ClosedFormMethod closedForm, long total, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        cancel.ThrowIfCancellationRequested();
        var images = data as ImageTrainingData
            ?? throw new ArgumentException($"{config.Method}: a closed-form method is fitted on images, not on text");
        using (var scope = NewDisposeScope())
        using (no_grad())
            closedForm.Fit(images.EpochContext(0, 0, device, config.Seed, 0, total)!);
        var record = new Dictionary<string, object> { ["step"] = total, ["epoch"] = config.Epochs, ["closed_form_fit_s"] = Math.Round(clock.Elapsed.TotalSeconds, 2) };
        using (var scope = NewDisposeScope())
            foreach (var (key, value) in closedForm.AfterFit(runDir)) record[key] = value;
        using (var metrics = new MetricsLog(MetricsPath))
            metrics.Write(record);
        if (config.TensorBoard) new TensorBoardLog(TensorBoardDir).Scalars(record);
        using var generator = new Generator((ulong)config.Seed, new Device(DeviceType.CPU));
        var path = SaveCheckpoint(total, total, optimizer: null, generator);
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainSummary(total, total, double.NaN, seconds, data.Count / Math.Max(seconds, 1e-9), path) { ClosedForm = true };
    }

    static Dictionary<string, object> ProbeFields(OnlineProbeResult r) => new()
    {
        ["online_knn_top1"] = r.KnnTop1, ["online_knn_top5"] = r.KnnTop5, ["online_probe_s"] = Math.Round(r.Seconds, 1),
    };

    /// <summary>The resolved configuration as config.yaml, written atomically so a reader never sees half a file.</summary>
    void WriteConfig()
    {
        var path = Path.Combine(runDir, "config.yaml");
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, config.ToYaml());
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Writes last.ckpt atomically; refuses (throws) when a weight is not finite, so the last good checkpoint is never overwritten by a broken state.</summary>
    string SaveCheckpoint(long step, long total, TrainingOptimizer? optimizer, Generator generator)
    {
        if (!NonFinite.AllFinite(method.parameters()))
            throw new NonFiniteLossException($"weights are not finite at step {step}; {LastCheckpointPath} was not overwritten and holds the last good state");
        using var rng = torch.random.get_rng_state();
        var state = new CheckpointState
        {
            Step = step,
            TotalSteps = total,
            Config = config,
            AugmentRng = Checkpoint.GeneratorState(generator),
            TorchRng = rng.data<byte>().ToArray(),
            // The tokenizer of a method that reads text goes into every checkpoint (CLIP builds its own when training starts).
            Tokenizer = method is IReadsText { Tokenizer: { } tokenizer } ? TextPipeline.SaveToBytes(tokenizer) : [],
        };
        Checkpoint.Save(LastCheckpointPath, method, optimizer, state);
        return LastCheckpointPath;
    }

    /// <summary>The step's loss averaged over ranks: the global batch's loss, and the same value on every rank.</summary>
    static double MeanOverRanks(ICollectives world, Tensor loss)
    {
        using var mean = world.AllReduceMean(loss.detach().to(ScalarType.Float64));
        return mean.item<double>();
    }

    /// <summary>The step's logged scalars, averaged over ranks (one allreduce for all of them).</summary>
    static Dictionary<string, float> ScalarMeans(ICollectives world, StepResult result)
    {
        if (world.WorldSize == 1 || result.Scalars.Count == 0) return result.Scalars.ToDictionary(kv => kv.Key, kv => (float)Scalar(kv.Value));
        var keys = result.Scalars.Keys.ToList();
        using var stacked = stack(keys.Select(k => result.Scalars[k].detach().to(ScalarType.Float64).reshape(-1)[0]).ToArray());
        using var mean = world.AllReduceMean(stacked);
        var values = mean.data<double>().ToArray();
        return keys.Select((k, i) => (k, (float)values[i])).ToDictionary(p => p.k, p => p.Item2);
    }

    /// <summary>A one-element tensor's value, whatever its float type.</summary>
    static double Scalar(Tensor t) => t.dtype == ScalarType.Float32 ? t.item<float>() : t.to(ScalarType.Float64).item<double>();

    /// <summary>The parameter type of <see cref="RunConfig.Precision"/>.</summary>
    public static ScalarType PrecisionOf(RunConfig config) => config.Precision switch
    {
        "float32" => ScalarType.Float32,
        "float64" => ScalarType.Float64,
        _ => throw new ArgumentException($"precision: expected float32 or float64, got '{config.Precision}'"),
    };

    static string Number(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The step's logged scalars as numbers, for the message of a non-finite step.</summary>
    static Dictionary<string, double> ScalarValues(StepResult result) =>
        result.Scalars.ToDictionary(kv => kv.Key, kv => (double)kv.Value.item<float>());

    /// <summary>The last <c>skipped_steps</c> count in a metrics.jsonl (0 when none), so a resumed run keeps counting.</summary>
    static long SkippedSteps(string metricsPath) => !File.Exists(metricsPath) ? 0 : File.ReadLines(metricsPath)
        .Select(line =>
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("skipped_steps", out var n) ? n.GetInt64() : 0;
        })
        .DefaultIfEmpty(0).Max();

    /// <summary>
    /// Cuts metrics.jsonl back to the records of step ≤ <paramref name="step"/> (the checkpoint's), and drops a last line
    /// a killed process left cut short, so that the resumed run logs each later step once. Rewritten atomically.
    /// </summary>
    void TruncateMetricsAfter(long step)
    {
        if (!File.Exists(MetricsPath)) return;
        var lines = File.ReadAllLines(MetricsPath);
        var kept = new List<string>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            System.Text.Json.JsonDocument doc;
            try
            {
                doc = System.Text.Json.JsonDocument.Parse(lines[i]);
            }
            catch (System.Text.Json.JsonException e)
            {
                if (i == lines.Length - 1) break; // the line being written when the process was killed
                throw new InvalidDataException($"{MetricsPath}: line {i + 1} is not a JSON record ({e.Message})", e);
            }
            using (doc)
                if (!doc.RootElement.TryGetProperty("step", out var s) || s.GetInt64() <= step) kept.Add(lines[i]);
        }
        var tmp = MetricsPath + ".tmp";
        File.WriteAllLines(tmp, kept);
        File.Move(tmp, MetricsPath, overwrite: true);
    }

    /// <summary>
    /// The sum and number of the step losses metrics.jsonl holds for the epoch that <paramref name="step"/> lies in,
    /// up to that step, added in step order as the uninterrupted run added them: a run resumed mid-epoch then logs
    /// the same epoch_loss.
    /// </summary>
    (double Sum, int Steps) EpochLossSoFar(long step, int stepsPerEpoch)
    {
        var epochStart = step / stepsPerEpoch * stepsPerEpoch;
        if (step == epochStart || !File.Exists(MetricsPath)) return (0, 0);
        double sum = 0;
        var steps = 0;
        foreach (var line in File.ReadLines(MetricsPath))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            var e = doc.RootElement;
            if (!e.TryGetProperty("loss", out var loss) || !e.TryGetProperty("step", out var s)) continue;
            if (s.GetInt64() > epochStart && s.GetInt64() <= step)
            {
                sum += loss.GetDouble();
                steps++;
            }
        }
        return (sum, steps);
    }
}
