using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>The transformer's position-wise MLP: Linear(D, r·D) → GELU → Linear(r·D, D).</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1;
    readonly GELU act;
    readonly Linear fc2;

    public Mlp(int dim, int hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(dim, hidden);
        act = nn.GELU();
        fc2 = nn.Linear(hidden, dim);
        RegisterComponents();
    }

    /// <summary>The second layer, back to the width (<c>mlp.fc2</c>).</summary>
    internal Linear OutputLayer => fc2;

    public override Tensor forward(Tensor x)
    {
        using var h = fc1.call(x);
        using var a = act.call(h);
        return fc2.call(a);
    }
}
