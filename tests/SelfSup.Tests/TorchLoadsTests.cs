using TorchSharp;

namespace SelfSup.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void TensorOp_Runs()
    {
        TorchRuntime.Initialize();
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, b.data<float>().ToArray());
    }
}
