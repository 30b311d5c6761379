namespace SelfSup.Interop;

/// <summary>
/// torchvision's ResNet names (<c>torchvision.models.resnet</c>): conv1, bn1, layer{1-4}.{i}.conv{1-3} / bn{1-3},
/// layer{s}.0.downsample.0 (1×1 conv) and .1 (BN), each BN with weight, bias, running_mean, running_var and an
/// int64 num_batches_tracked. Our <see cref="Encoders.ResNet"/> names its fields after torchvision, so the map is
/// the identity; the classifier <c>fc</c> has no counterpart and is skipped on import. The CIFAR stem corresponds
/// to torchvision's ResNet with <c>conv1</c> replaced by a 3×3 stride-1 conv and <c>maxpool</c> by Identity.
/// </summary>
public sealed class TorchvisionNames : ReferenceNames
{
    public static readonly TorchvisionNames Instance = new();

    TorchvisionNames() { }

    public override string Library => "torchvision";

    public override string ToReferenceKey(string ownKey) => ownKey;

    public override bool IsClassifier(string referenceKey) => referenceKey.StartsWith("fc.", StringComparison.Ordinal);
}
