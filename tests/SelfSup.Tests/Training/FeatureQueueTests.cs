using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public class FeatureQueueTests
{
    /// <summary>Rows [v, 10·v] for each v: easy to recognise in the queue.</summary>
    static Tensor Rows(params float[] values)
    {
        TorchRuntime.Initialize();
        var v = tensor(values);
        return stack([v, v * 10], 1); // [B, 2]
    }

    static float[] FirstColumn(Tensor features) => features.select(1, 0).data<float>().ToArray();

    [Fact]
    public void ANewQueue_IsEmpty_AndReturnsNoRows()
    {
        TorchRuntime.Initialize();
        using var q = new FeatureQueue(5, 2);
        Assert.Equal(0, q.Count);
        Assert.Equal(0, q.Pointer);
        Assert.False(q.IsFull);
        using var f = q.Features;
        Assert.Equal(new long[] { 0, 2 }, f.shape);
    }

    [Fact]
    public void Enqueue_FillsSlotsInOrder_AndReturnsOnlyTheFilledRows()
    {
        using var q = new FeatureQueue(5, 2);
        q.Enqueue(Rows(1, 2));
        Assert.Equal([1f, 2f], FirstColumn(q.Features));
        Assert.Equal((2L, 2L), (q.Pointer, q.Count));
        q.Enqueue(Rows(3, 4));
        Assert.Equal([1f, 2f, 3f, 4f], FirstColumn(q.Features));
        Assert.Equal([10f, 20f, 30f, 40f], q.Features.select(1, 1).data<float>().ToArray());
        Assert.Equal((4L, 4L), (q.Pointer, q.Count));
    }

    [Fact]
    public void Enqueue_WrapsAroundTheEnd_WhenTheBatchDoesNotDivideTheCapacity()
    {
        using var q = new FeatureQueue(5, 2);
        q.Enqueue(Rows(1, 2));
        q.Enqueue(Rows(3, 4));
        q.Enqueue(Rows(5, 6, 7));                                     // slot 4 ← 5, then 0 ← 6, 1 ← 7
        Assert.Equal([6f, 7f, 3f, 4f, 5f], FirstColumn(q.Features));
        Assert.Equal((2L, 5L), (q.Pointer, q.Count));
        Assert.True(q.IsFull);
        q.Enqueue(Rows(8));                                           // the oldest row (3) goes first
        Assert.Equal([6f, 7f, 8f, 4f, 5f], FirstColumn(q.Features));
        Assert.Equal(3, q.Pointer);
    }

    [Fact]
    public void ABatchLargerThanTheQueue_KeepsItsNewestRows_AsOneAtATimeWould()
    {
        using var batched = new FeatureQueue(3, 2);
        using var single = new FeatureQueue(3, 2);
        batched.Enqueue(Rows(1));
        single.Enqueue(Rows(1));
        batched.Enqueue(Rows(2, 3, 4, 5, 6, 7, 8));                   // from pointer 1: slots 1,2,0,1,2,0,1
        foreach (var v in new float[] { 2, 3, 4, 5, 6, 7, 8 }) single.Enqueue(Rows(v));
        Assert.Equal([7f, 8f, 6f], FirstColumn(batched.Features));
        Assert.True(batched.Features.equal(single.Features).all().item<bool>());
        Assert.Equal((2L, 2L), (batched.Pointer, single.Pointer));
        Assert.Equal(3, batched.Count);
    }

    [Fact]
    public void PointerCountAndRows_SurviveASaveLoadRoundTrip()
    {
        using var a = new FeatureQueue(5, 2);
        a.Enqueue(Rows(1, 2, 3));
        Assert.Equal(["count", "features", "pointer"], a.state_dict().Keys.Order());
        Assert.Equal(ScalarType.Int64, a.state_dict()["pointer"].dtype);

        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) a.save(w);
        stream.Position = 0;
        using var b = new FeatureQueue(5, 2);
        using (var r = new BinaryReader(stream)) b.load(r, strict: true);
        Assert.Equal((3L, 3L), (b.Pointer, b.Count));
        Assert.True(a.Features.equal(b.Features).all().item<bool>());
        b.Enqueue(Rows(4, 5, 6));                                     // continues where the saved queue stopped
        Assert.Equal([6f, 2f, 3f, 4f, 5f], FirstColumn(b.Features));
    }

    [Fact]
    public void EnqueuedKeys_CarryNoGradient_AndALossBuiltBeforeEnqueueStillBackpropagates()
    {
        TorchRuntime.Initialize();
        using var q = new FeatureQueue(4, 3);
        using var encoder = nn.Linear(3, 3);
        using var x = randn(2, 3);
        var keys = encoder.forward(x);                                // [2, 3], requires grad
        Assert.True(keys.requires_grad);
        q.Enqueue(keys);
        var queued = q.Features;
        Assert.False(queued.requires_grad);
        Assert.True(queued.equal(keys.detach()).all().item<bool>());

        var query = randn(2, 3).requires_grad_();
        var logits = query.matmul(queued.t());                        // [2, 2]: MoCo's negatives term
        q.Enqueue(randn(2, 3));                                       // MoCo enqueues before backward
        logits.sum().backward();
        Assert.True(query.grad!.allclose(queued.sum([0L]).expand(2, 3)));
        Assert.All(encoder.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void RandomInit_StartsFull_WithUnitRowsFromTheGenerator()
    {
        TorchRuntime.Initialize();
        using var a = new FeatureQueue(6, 2, randomInit: true, generator: new Generator(7));
        using var b = new FeatureQueue(6, 2, randomInit: true, generator: new Generator(7));
        Assert.True(a.IsFull);
        Assert.Equal(0, a.Pointer);
        using var norms = a.Features.norm(1);
        Assert.True(norms.allclose(ones(6)));
        Assert.True(a.Features.equal(b.Features).all().item<bool>());
        a.Enqueue(Rows(9, 9, 9, 9));                                  // the noise is overwritten oldest-first
        Assert.Equal([9f, 9f, 9f, 9f], FirstColumn(a.Features)[..4]);
        Assert.True(a.Features.narrow(0, 4, 2).equal(b.Features.narrow(0, 4, 2)).all().item<bool>());
    }

    [Fact]
    public void Keys_OfAnotherDtype_AreCastToTheQueues()
    {
        using var q = new FeatureQueue(2, 2);
        q.Enqueue(Rows(1.5f).to(ScalarType.Float64));
        Assert.Equal(ScalarType.Float32, q.Features.dtype);
        Assert.Equal([1.5f], FirstColumn(q.Features));
    }

    [Fact]
    public void BadShapesAndSizes_AreRejectedWithTheField()
    {
        TorchRuntime.Initialize();
        using var q = new FeatureQueue(4, 3);
        var e = Assert.Throws<ArgumentException>(() => q.Enqueue(zeros(2, 5)));
        Assert.Contains("[B, 3]", e.Message);
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureQueue(0, 3)).ParamName);
        Assert.Equal("dim", Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureQueue(4, 0)).ParamName);
    }
}
