using SelfSup.Encoders;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

/// <summary>conv3×3 – BatchNorm – ReLU – global average pool: the smallest encoder with BatchNorm statistics.</summary>
internal sealed class TinyConvEncoder : SelfSup.Encoders.Encoder
{
    readonly Conv2d conv;
    readonly BatchNorm2d bn;

    public TinyConvEncoder(int inChannels = 3, int width = 4) : base(nameof(TinyConvEncoder))
    {
        conv = nn.Conv2d(inChannels, width, 3, padding: 1, bias: false);
        bn = nn.BatchNorm2d(width);
        Width = width;
        RegisterComponents();
    }

    public int Width { get; }
    public Conv2d Conv => conv;
    public BatchNorm2d Bn => bn;
    public override int EmbeddingDim => Width;

    public override Tensor ForwardFeatures(Tensor x) => nn.functional.relu(bn.forward(conv.forward(x))); // [B, W, H, W]

    public override Tensor Pool(Tensor features) => features.mean([2L, 3L]); // [B, W]
}
