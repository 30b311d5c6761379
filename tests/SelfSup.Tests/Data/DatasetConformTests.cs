using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Tests.Data;

public class DatasetConformTests
{
    static ImageDataset Make(byte[] pixels, long[] shape)
    {
        using var scope = NewDisposeScope();
        return new ImageDataset("d", tensor(pixels, shape).MoveToOuterDisposeScope(), null);
    }

    [Fact]
    public void NothingToChange_ReturnsTheSameDataset()
    {
        TorchRuntime.Initialize();
        using var d = Make(new byte[4], [1, 1, 2, 2]);

        Assert.Same(d, DatasetConform.Apply(d, 2, 1));
    }

    [Fact]
    public void GrayToRgbAndResize_KeepsAConstantImageConstant()
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        using var d = DatasetConform.Apply(Make(Enumerable.Repeat((byte)100, 16).ToArray(), [1, 1, 4, 4]), 2, 3);

        Assert.Equal(new long[] { 1, 3, 2, 2 }, d.Images.shape);
        Assert.True(d.Images.eq(100).all().item<bool>());
    }

    [Fact]
    public void RgbToGray_UsesBt601Weights()
    {
        TorchRuntime.Initialize();
        using var d = DatasetConform.Apply(Make([255, 0, 0], [1, 3, 1, 1]), null, 1);

        Assert.Equal((byte)76, d.Images.data<byte>()[0]);
    }

    [Fact]
    public void NonSquare_IsCentreCropped()
    {
        TorchRuntime.Initialize();
        using var d = DatasetConform.Apply(Make([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 4]), 2, null);

        Assert.Equal(new byte[] { 2, 3, 6, 7 }, d.Images.data<byte>().ToArray());
    }
}
