using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SelfSup.Methods;

/// <summary>
/// Each option of a method's options record with its default and its doc line, read from the XML documentation that
/// ships beside SelfSup.dll, so the text `selfsup methods NAME` prints is the one written once on the property.
/// </summary>
public static partial class OptionDocs
{
    static readonly Lazy<Dictionary<string, string>> Summaries = new(Load);

    /// <summary>(snake_case key, default value, doc line) for every option of <paramref name="options"/>.</summary>
    public static IReadOnlyList<(string Key, object? Default, string Doc)> Describe(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var type = options.GetType();
        return OptionBinder.Describe(options)
            .Select(kv => (kv.Key, kv.Value, Summary(type, kv.Key)))
            .ToList();
    }

    static string Summary(Type type, string snakeKey)
    {
        var prop = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .First(p => string.Equals(p.Name, snakeKey.Replace("_", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
        // An inherited option (a denoising autoencoder's autoencoder options) is documented on the record declaring it.
        return Summaries.Value.TryGetValue($"P:{(prop.DeclaringType ?? type).FullName}.{prop.Name}", out var s) ? s : "";
    }

    static Dictionary<string, string> Load()
    {
        var xml = Path.ChangeExtension(typeof(OptionDocs).Assembly.Location, ".xml");
        if (!File.Exists(xml)) return new();
        return XDocument.Load(xml).Descendants("member")
            .Where(m => m.Attribute("name") is not null && m.Element("summary") is not null)
            .ToDictionary(m => m.Attribute("name")!.Value, m => Flatten(m.Element("summary")!));
    }

    /// <summary>The summary as one line: &lt;c&gt;/&lt;see&gt; tags become their text or the referenced name.</summary>
    static string Flatten(XElement summary)
    {
        var parts = summary.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement e when e.Attribute("cref") is { } cref => cref.Value[(cref.Value.LastIndexOf('.') + 1)..],
            XElement e when e.Attribute("name") is { } name => name.Value,
            XElement e => e.Value,
            _ => "",
        });
        return Spaces().Replace(string.Concat(parts), " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
