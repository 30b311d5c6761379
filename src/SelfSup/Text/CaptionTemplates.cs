namespace SelfSup.Text;

/// <summary>
/// Captions made from class names for a labelled image set, as CLIP builds its zero-shot classifiers (Radford et al.
/// 2021 §3.1.4, "prompt engineering and ensembling"): each template holds <c>{label}</c>, replaced by the class name.
/// In training, one template is drawn per image per step (<see cref="CaptionPool"/>); in zero-shot evaluation every
/// template is embedded and the embeddings of a class are averaged.
/// </summary>
public static class CaptionTemplates
{
    /// <summary>The placeholder a template's class name replaces.</summary>
    public const string Placeholder = "{label}";

    /// <summary>The 18 prompts CLIP uses for CIFAR-10 (openai/CLIP, data/prompts.md).</summary>
    public static IReadOnlyList<string> Cifar10 { get; } =
    [
        "a photo of a {label}.", "a blurry photo of a {label}.", "a black and white photo of a {label}.",
        "a low contrast photo of a {label}.", "a high contrast photo of a {label}.", "a bad photo of a {label}.",
        "a good photo of a {label}.", "a photo of a small {label}.", "a photo of a big {label}.",
        "a photo of the {label}.", "a blurry photo of the {label}.", "a black and white photo of the {label}.",
        "a low contrast photo of the {label}.", "a high contrast photo of the {label}.", "a bad photo of the {label}.",
        "a good photo of the {label}.", "a photo of the small {label}.", "a photo of the big {label}.",
    ];

    /// <summary>One template: CLIP's single default prompt.</summary>
    public static IReadOnlyList<string> Single { get; } = ["a photo of a {label}."];

    /// <summary>A template set by name: "cifar10" (18 prompts) or "single" (one).</summary>
    public static IReadOnlyList<string> Named(string name) => name.ToLowerInvariant() switch
    {
        "cifar10" => Cifar10,
        "single" => Single,
        _ => throw new ArgumentException($"unknown caption templates '{name}'; expected cifar10 or single"),
    };

    /// <summary>
    /// The caption of <paramref name="label"/> under <paramref name="template"/>. Underscores in class names become
    /// spaces ("pickup_truck" → "pickup truck"), as CLIP's class-name lists write them.
    /// </summary>
    public static string Apply(string template, string label)
    {
        if (!template.Contains(Placeholder, StringComparison.Ordinal))
            throw new ArgumentException($"caption template '{template}' has no {Placeholder} placeholder");
        return template.Replace(Placeholder, label.Replace('_', ' ').Trim(), StringComparison.Ordinal);
    }

    /// <summary>Every template applied to one class name, in template order.</summary>
    public static IReadOnlyList<string> For(string label, IReadOnlyList<string> templates) => templates.Select(t => Apply(t, label)).ToList();
}
