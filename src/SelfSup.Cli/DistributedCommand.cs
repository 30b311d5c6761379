using System.CommandLine;
using System.Diagnostics;
using SelfSup.Distributed;
using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup distributed check`, launched as `mpirun -np N selfsup distributed check`: before a long run, shows that
/// the ranks reach each other. Every rank checks each collective against values it can compute itself (allreduce,
/// allgather with ranks of different sizes, broadcast, barrier, a differentiable gather's gradient), then rank 0
/// prints the ranks, their hosts, the MPI library and the measured latency and bandwidth.
/// </summary>
public static class DistributedCommand
{
    public static Command Create()
    {
        var check = new Command("check", "Check that the ranks of `mpirun -np N selfsup distributed check` reach each other; print latency and bandwidth");
        var megabytes = new Option<int>("--megabytes") { Description = "size of the bandwidth test's allreduce", DefaultValueFactory = _ => 64 };
        var timeout = new Option<double>("--collective-timeout") { Description = "seconds a collective may wait before the job is aborted", DefaultValueFactory = _ => 60 };
        check.Options.Add(megabytes);
        check.Options.Add(timeout);
        check.SetAction(r => Cli.Guard(() =>
        {
            TorchRuntime.Initialize(1);
            var mpi = Mpi.Initialize(TimeSpan.FromSeconds(r.GetValue(timeout)));
            var world = new MpiCollectives(mpi);
            Cli.RankOnError = world;
            var (rank, size) = (world.Rank, world.WorldSize);
            var hosts = world.AllGatherBytes(System.Text.Encoding.UTF8.GetBytes(Environment.MachineName), "host names")
                .Select(b => System.Text.Encoding.UTF8.GetString(b)).ToArray();

            // allreduce: Σ_r (r + 1)·[1, 2, 3] = size(size + 1)/2 · [1, 2, 3]
            using var x = tensor(new double[] { 1, 2, 3 }).mul(rank + 1);
            using var sum = world.AllReduceSum(x);
            Expect("allreduce sum", sum.data<double>().ToArray(), [1.0 * size * (size + 1) / 2, 2.0 * size * (size + 1) / 2, 3.0 * size * (size + 1) / 2]);
            // allgather(v): rank r contributes r + 1 rows of the value r
            using var rows = full(rank + 1, 2, (double)rank, dtype: ScalarType.Float64);
            using var gathered = world.AllGather(rows);
            Expect("allgatherv", gathered.select(1, 0).data<double>().ToArray(), Enumerable.Range(0, size).SelectMany(q => Enumerable.Repeat((double)q, q + 1)).ToArray());
            // broadcast from the last rank
            using var b = tensor(new float[] { rank, rank });
            world.Broadcast(b, root: size - 1);
            Expect("broadcast", b.data<float>().Select(v => (double)v).ToArray(), [size - 1, size - 1]);
            // gradient of a gather: d/dx_r of Σ_all ranks' Σ(gathered) = size on every element
            using var leaf = ones(2, 3, dtype: ScalarType.Float64).requires_grad_();
            world.AllGather(leaf).sum().backward();
            Expect("allgather gradient", leaf.grad!.flatten().data<double>().ToArray(), Enumerable.Repeat((double)size, 6).ToArray());
            mpi.Barrier("barrier");

            // latency: many one-value allreduces; bandwidth: one large float32 allreduce (ring: ~2(n−1)/n of it sent per rank)
            using var one = zeros(1);
            for (var i = 0; i < 10; i++) world.SumInPlaceForCheck(one);
            var clock = Stopwatch.StartNew();
            const int Rounds = 200;
            for (var i = 0; i < Rounds; i++) world.SumInPlaceForCheck(one);
            var latency = clock.Elapsed.TotalMilliseconds * 1000 / Rounds;
            using var big = zeros((long)r.GetValue(megabytes) * (1 << 20) / 4);
            world.SumInPlaceForCheck(big);
            clock.Restart();
            world.SumInPlaceForCheck(big);
            var seconds = clock.Elapsed.TotalSeconds;
            if (rank == 0)
            {
                Console.WriteLine($"{size} ranks on {hosts.Distinct().Count()} host(s): {string.Join(", ", hosts.Select((h, i) => $"{i}@{h}"))}");
                Console.WriteLine($"library: {mpi.Library.Version()} ({mpi.Library.Path}){(mpi.Library.CudaAware ? ", CUDA-aware" : ", not CUDA-aware: GPU tensors are staged through host memory")}");
                Console.WriteLine("collectives: ok (allreduce, allgatherv, broadcast, barrier, allgather gradient)");
                Console.WriteLine($"allreduce latency: {latency:F1} µs (1 float); bandwidth: {r.GetValue(megabytes) / seconds:F0} MB/s ({r.GetValue(megabytes)} MB float32 allreduce in {seconds * 1000:F0} ms)");
            }
            return 0;
        }));
        return new Command("distributed", "Data-parallel training on Open MPI (docs/distributed.md)") { check };
    }

    static void Expect(string what, double[] got, double[] expected)
    {
        if (got.Length != expected.Length || got.Zip(expected).Any(p => Math.Abs(p.First - p.Second) > 1e-9))
            throw new InvalidOperationException($"{what}: got [{string.Join(", ", got)}], expected [{string.Join(", ", expected)}]");
    }
}
