using System.Globalization;
using System.Reflection;

namespace SelfSup.Methods;

/// <summary>
/// Applies string overrides (from the CLI or a run file) to a method's typed options record, failing early with
/// the key, the value and what was expected. Keys match properties case-insensitively, ignoring '-' and '_'.
/// </summary>
public static class OptionBinder
{
    public static T Bind<T>(T defaults, IReadOnlyDictionary<string, string> overrides, string owner) where T : class
    {
        var props = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => Key(p.Name), StringComparer.OrdinalIgnoreCase);
        if (overrides.Count == 0) return defaults;
        // Records have a protected copy constructor: clone, then set the init-only properties.
        var clone = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(defaults, null)!;
        foreach (var (rawKey, raw) in overrides)
        {
            if (!props.TryGetValue(Key(rawKey), out var prop))
                throw new ArgumentException($"{owner}: unknown option '{rawKey}'; expected one of: {string.Join(", ", props.Values.Select(p => ToSnake(p.Name)).Order())}");
            prop.SetValue(clone, Parse(raw, prop.PropertyType, owner, rawKey));
        }
        return clone;
    }

    /// <summary>The options as snake_case key → value, for config files and reports.</summary>
    public static Dictionary<string, object?> Describe(object options) =>
        options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != "EqualityContract")
            .ToDictionary(p => ToSnake(p.Name), p => p.GetValue(options));

    static object Parse(string raw, Type type, string owner, string key)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (t == typeof(string)) return raw;
            if (t == typeof(bool)) return bool.Parse(raw);
            if (t.IsEnum) return Enum.Parse(t, raw.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
            return Convert.ChangeType(raw, t, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"{owner}: option '{key}' = '{raw}' is not a valid {t.Name}");
        }
    }

    static string Key(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);

    static string ToSnake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
