using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// One optimizer parameter group of fine-tuning: its parameters, named <c>encoder.…</c>, <c>fc_norm.…</c> or
/// <c>head.…</c>, their peak learning rate and their weight decay.
/// </summary>
public sealed record FineTuneParamGroup(IReadOnlyList<string> Names, IReadOnlyList<Parameter> Parameters, double LearningRate, double WeightDecay);

/// <summary>
/// The optimizer groups of a <see cref="FineTunedModel"/>, as MAE's and BEiT's fine-tuning builds them (MAE
/// util/lr_decay.py param_groups_lrd, BEiT optim_factory.py): one group per trainable stage and decay class at the
/// stage's rate (<see cref="FineTuneStages.LearningRates(IReadOnlyList{EncoderStage}, int, double, double, double?)"/>),
/// fc_norm with the last stage, and the head at the full rate. Frozen stages are left out.
/// </summary>
public static class FineTuneParamGroups
{
    /// <summary>The groups, input first, head last; empty groups are dropped.</summary>
    public static IReadOnlyList<FineTuneParamGroup> Of(FineTunedModel model, FineTuneOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var stageLrs = FineTuneStages.LearningRates(model.Stages, options.FrozenStages, options.LearningRate, options.BackboneLrFactor, options.LayerDecay);
        var last = model.Stages.Count - 1;
        var encoder = model.Encoder.named_parameters()
            .Select(p => (Name: "encoder." + p.name, Stage: FineTuneStages.IndexOf(model.Stages, p.name), p.parameter));
        var fcNorm = (model.FcNorm?.named_parameters() ?? [])
            .Select(p => (Name: "fc_norm." + p.name, Stage: last, p.parameter));
        var groups = new List<FineTuneParamGroup>();
        foreach (var stage in encoder.Concat(fcNorm).Where(p => p.Stage >= options.FrozenStages).GroupBy(p => p.Stage).OrderBy(g => g.Key))
        {
            foreach (var decayed in new[] { true, false })
            {
                var members = stage.Where(p => TakesWeightDecay(p.Name, p.parameter) == decayed).ToList();
                groups.Add(new FineTuneParamGroup(members.Select(p => p.Name).ToList(), members.Select(p => p.parameter).ToList(),
                    stageLrs[stage.Key], decayed ? options.WeightDecay : 0));
            }
        }
        groups.Add(new FineTuneParamGroup(["head.weight"], [model.Head.weight!], options.LearningRate, options.WeightDecay));
        groups.Add(new FineTuneParamGroup(["head.bias"], [model.Head.bias!], options.LearningRate, 0));
        groups.RemoveAll(g => g.Parameters.Count == 0);
        return groups;
    }

    /// <summary>
    /// Weight decay applies to weights of ≥ 2 dimensions except tokens and positions (<c>cls_token</c>, any
    /// <c>*_token</c>, <c>pos_embed</c>): biases and norm gains and shifts are 1-D, and MAE's and BEiT's
    /// no_weight_decay lists name the tokens and positions.
    /// </summary>
    public static bool TakesWeightDecay(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameter);
        var leaf = name[(name.LastIndexOf('.') + 1)..];
        return parameter.dim() > 1 && !leaf.EndsWith("_token", StringComparison.Ordinal) && !leaf.StartsWith("pos_embed", StringComparison.Ordinal);
    }
}
