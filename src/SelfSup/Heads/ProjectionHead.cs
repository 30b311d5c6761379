using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// MLP projection head g(h) used by SimCLR (Chen et al. 2020): Linear – BN – ReLU – Linear.
/// SimCLR v1 on ResNet-50: 2048 → 2048 → 128. Reused by every method that projects embeddings before its loss.
/// </summary>
public sealed class ProjectionHead : nn.Module<Tensor, Tensor>
{
    readonly Sequential net;

    public ProjectionHead(int inputDim, int hiddenDim = 2048, int outputDim = 128, int layers = 2) : base(nameof(ProjectionHead))
    {
        if (layers < 1) throw new ArgumentException($"projection head needs at least 1 layer, got {layers}");
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var dim = inputDim;
        for (int i = 0; i < layers - 1; i++)
        {
            // The bias is redundant before BatchNorm.
            modules.Add(($"linear{i}", nn.Linear(dim, hiddenDim, hasBias: false)));
            modules.Add(($"bn{i}", nn.BatchNorm1d(hiddenDim)));
            modules.Add(($"relu{i}", nn.ReLU(inplace: true)));
            dim = hiddenDim;
        }
        modules.Add(($"linear{layers - 1}", nn.Linear(dim, outputDim)));
        net = nn.Sequential(modules);
        OutputDim = outputDim;
        RegisterComponents();
    }

    public int OutputDim { get; }

    public override Tensor forward(Tensor x) => net.forward(x);
}
