namespace SelfSup.Encoders;

/// <summary>The first layers of a ResNet, which set how much the input is downsampled before stage 1.</summary>
public enum ResNetStem
{
    /// <summary>3×3 conv, stride 1, no max-pool: keeps 32×32 inputs at full resolution (SimCLR's CIFAR variant).</summary>
    Cifar,

    /// <summary>7×7 conv, stride 2, then a 3×3 max-pool, stride 2: input resolution / 4 (the original ImageNet stem).</summary>
    ImageNet,
}

/// <summary>Names of <see cref="ResNetStem"/> as used in configs and on the command line.</summary>
public static class ResNetStems
{
    public static readonly IReadOnlyList<string> Names = ["cifar", "imagenet"];

    /// <summary>Parses "cifar" / "imagenet" (any case); <paramref name="field"/> names the setting in the error.</summary>
    public static ResNetStem Parse(string value, string field = "stem") => value.ToLowerInvariant() switch
    {
        "cifar" => ResNetStem.Cifar,
        "imagenet" => ResNetStem.ImageNet,
        _ => throw new ArgumentException($"{field}: expected one of {string.Join(", ", Names)}, got '{value}'"),
    };

    /// <summary>The default for an image size: the CIFAR stem up to 64 px, where the ImageNet stem would discard too much.</summary>
    public static ResNetStem ForImageSize(int imageSize) => imageSize <= 64 ? ResNetStem.Cifar : ResNetStem.ImageNet;
}
