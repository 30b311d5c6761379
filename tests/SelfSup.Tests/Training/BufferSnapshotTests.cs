using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public class BufferSnapshotTests
{
    sealed class NormAndQueue : nn.Module
    {
        readonly BatchNorm1d bn = nn.BatchNorm1d(3);
        readonly FeatureQueue queue = new(4, 3);

        public NormAndQueue() : base(nameof(NormAndQueue)) => RegisterComponents();

        public BatchNorm1d Bn => bn;
        public FeatureQueue Queue => queue;
    }

    [Fact]
    public void Restore_UndoesWhatAForwardPassDidToBatchNormStatisticsAndAQueue()
    {
        using var module = new NormAndQueue();
        var (bn, queue) = (module.Bn, module.Queue);
        module.train();
        using var snapshot = new BufferSnapshot(module);
        using (var warm = randn(8, 3)) bn.forward(warm).Dispose();       // state worth keeping
        var mean = bn.running_mean!.data<float>().ToArray();
        var tracked = bn.num_batches_tracked!.item<long>();

        snapshot.Take();
        using (var bad = full(8, 3, double.NaN))
        {
            bn.forward(bad).Dispose();
            queue.Enqueue(bad[..2]);
        }
        Assert.True(float.IsNaN(bn.running_mean!.data<float>()[0]));
        Assert.Equal(2, queue.Pointer);

        snapshot.Restore();

        Assert.Equal(mean, bn.running_mean!.data<float>().ToArray());
        Assert.Equal(tracked, bn.num_batches_tracked!.item<long>());
        Assert.Equal(0, queue.Pointer);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Take_RefillsItsCopies_SoRestoreGoesBackToTheLatestTake()
    {
        using var bn = nn.BatchNorm1d(2);
        bn.train();
        using var snapshot = new BufferSnapshot(bn);
        snapshot.Take();
        using (var x = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2)) bn.forward(x).Dispose();
        var afterFirst = bn.running_mean!.data<float>().ToArray();

        snapshot.Take();
        using (var y = tensor(new float[] { 10, 20, 30, 40 }).reshape(2, 2)) bn.forward(y).Dispose();
        snapshot.Restore();

        Assert.Equal(afterFirst, bn.running_mean!.data<float>().ToArray());
        Assert.Equal([0.2f, 0.3f], afterFirst, (a, b) => Math.Abs(a - b) < 1e-6); // 0.1 × the batch means 2 and 3
    }
}
