using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup;

/// <summary>
/// Keeps oneDNN's fast convolutions on a CPU where some of them are wrong (<see cref="OneDnnCheck"/>): before a
/// convolution runs in float32 on the CPU with a configuration it has not run with in this process (channels,
/// kernel, stride, padding, groups, input shape, memory layouts and the gradients autograd will ask for), its output
/// and those gradients on random data of that shape are compared with float64 (<see cref="OneDnnCheck.RelativeError"/>). A
/// configuration that differs runs in float64 from then on (input, weight and bias cast, the result cast back: the
/// path the check trusts, which never uses oneDNN, forward and backward), with one note naming it; every other
/// configuration keeps oneDNN. Only a convolution the check cannot replay switches oneDNN off for the process. On a
/// CPU whose check passed, or with SELFSUP_ONEDNN set, nothing is checked.
/// Every convolution SelfSup builds comes from <see cref="Conv2d"/> or <see cref="ConvTranspose2d"/>, and its
/// functional ones go through <see cref="Functional"/>; <see cref="Watch"/> adds the check to a model built
/// elsewhere (the Trainer watches what it trains).
/// </summary>
public static class ConvolutionGuard
{
    /// <summary>The relative error above which a configuration counts as wrong (float32 against float64).</summary>
    public const double Bar = 1e-4;

    static readonly ConvolutionChecks Process = new(
        () => OneDnnCheck.Guarding,
        (call, x, w, layouts, gradients) => OneDnnCheck.RelativeError(call, x, w, layouts.Input, weightChannelsLast: layouts.Weight,
            inputGradient: gradients.Input, weightGradient: gradients.Weight),
        OneDnnCheck.SwitchOffForUncheckable,
        what => Console.Error.WriteLine($"note: oneDNN is wrong on this CPU for {what}; that configuration runs in float64 from here on " +
                                        "(right, slower), every other keeps oneDNN. SELFSUP_ONEDNN=off switches oneDNN off instead."));

    /// <summary>Configurations checked so far in this process, each with its relative error.</summary>
    public static IReadOnlyDictionary<string, double> Checked => Process.Checked;

    /// <summary>The first configuration found wrong, with its error; null while none was.</summary>
    public static string? FirstWrong => Process.FirstWrong;

    /// <summary>The configurations found wrong so far, which run in float64.</summary>
    public static IReadOnlyCollection<string> Rerouted => Process.Rerouted;

    /// <summary>
    /// Seconds this process has spent checking so far: a one-time cost, which timing code subtracts from what it
    /// measures (the leaderboard's calibration).
    /// </summary>
    public static double CheckSeconds => Process.CheckSeconds;

    /// <summary>nn.Conv2d, checked before each new configuration runs.</summary>
    public static TorchSharp.Modules.Conv2d Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true) =>
        Process.Watch(nn.Conv2d(inChannels, outChannels, kernel_size: kernelSize, stride: stride, padding: padding, bias: bias));

    /// <summary>nn.ConvTranspose2d, checked before each new configuration runs.</summary>
    public static TorchSharp.Modules.ConvTranspose2d ConvTranspose2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true) =>
        Process.Watch(nn.ConvTranspose2d(inChannels, outChannels, kernel_size: kernelSize, stride: stride, padding: padding, bias: bias));

    /// <summary>
    /// Adds the check to every 2-D convolution and transposed convolution in <paramref name="module"/> (itself
    /// included); modules watched before are left as they are. Their forward passes must go through <c>call</c>,
    /// which runs hooks.
    /// </summary>
    public static T Watch<T>(T module) where T : nn.Module => Process.Watch(module);

    /// <summary>nn.functional.conv2d without bias, checked like the modules' (for fixed kernels such as blurs).</summary>
    public static Tensor Functional(Tensor x, Tensor weight, long stride = 1, long padding = 0, long groups = 1) =>
        Process.Functional(x, weight, stride, padding, groups);
}

/// <summary>
/// The checks behind <see cref="ConvolutionGuard"/>, with what decides whether to check, how a configuration is
/// measured and what a wrong one does passed in (tests play CPUs with chosen faults through them).
/// </summary>
/// <param name="guarding">Whether configurations are checked now.</param>
/// <param name="measure">
/// Relative error of a call on float64 input and weight: (call, x, w, which are channels-last, which gradients are
/// compared; none: the output only).
/// </param>
/// <param name="uncheckable">What a convolution the check cannot replay does, given why (the process switches oneDNN off).</param>
/// <param name="rerouted">Told of each configuration found wrong (its key and error), which runs in float64 from then on.</param>
internal sealed class ConvolutionChecks(
    Func<bool> guarding,
    Func<Func<Tensor, Tensor, Tensor>, Tensor, Tensor, (bool Input, bool Weight), (bool Input, bool Weight), double> measure,
    Action<string> uncheckable,
    Action<string> rerouted)
{
    readonly object gate = new();
    readonly Dictionary<string, double> checkedErrors = new();
    readonly ConditionalWeakTable<nn.Module, object> watched = new();

    public IReadOnlyDictionary<string, double> Checked
    {
        get { lock (gate) return new Dictionary<string, double>(checkedErrors); }
    }

    public string? FirstWrong { get; private set; }

    public IReadOnlyCollection<string> Rerouted
    {
        get { lock (gate) return checkedErrors.Where(e => IsWrong(e.Value)).Select(e => e.Key).ToList(); }
    }

    double checkSeconds;

    public double CheckSeconds
    {
        get { lock (gate) return checkSeconds; }
    }

    public T Watch<T>(T module) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var m in module.modules().Prepend(module))
        {
            if (m is not (TorchSharp.Modules.Conv2d or TorchSharp.Modules.ConvTranspose2d)) continue;
            lock (gate)
            {
                if (watched.TryGetValue(m, out _)) continue;
                watched.Add(m, m);
            }
            var conv = (Convolution)m;
            // The check runs before the call (an uncheckable one must switch oneDNN off before it runs); a wrong
            // configuration's oneDNN result is then replaced, so its graph, and oneDNN's backward, are never used.
            conv.register_forward_pre_hook((_, x) => { Admit(conv, x); return x; });
            conv.register_forward_hook((_, x, y) => InFloat64IfWrong(conv, x) ?? y);
        }
        return module;
    }

    public Tensor Functional(Tensor x, Tensor weight, long stride, long padding, long groups)
    {
        Tensor Conv(Tensor a, Tensor w) => nn.functional.conv2d(a, w, strides: [stride, stride], padding: [padding, padding], groups: groups);
        var name = $"conv2d {weight.shape[1] * groups}→{weight.shape[0]} k{weight.shape[2]}×{weight.shape[3]} s{stride} p{padding} g{groups}";
        Admit(name, Conv, x, weight);
        return IsRerouted(name, x, weight) ? InFloat64(Conv, x, weight, bias: null) : Conv(x, weight);
    }

    void Admit(Convolution conv, Tensor x)
    {
        if (!Guarding(x)) return;
        if (conv.padding is null)
        {
            // padding "same"/"valid": not replayed by the check, so it cannot be vouched for.
            Fail($"a convolution with padding {conv.padding_type} cannot be checked");
            return;
        }
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            Fail($"a convolution with padding mode {conv.padding_mode} cannot be checked");
            return;
        }
        var (name, call) = Describe(conv)!.Value;
        Admit(name, call, x, conv.weight!);
    }

    /// <summary>The configuration's name without its input, and the call that replays it; null where it cannot be replayed.</summary>
    static (string Name, Func<Tensor, Tensor, Tensor> Call)? Describe(Convolution conv)
    {
        if (conv.padding is not { } padding || conv.padding_mode != PaddingModes.Zeros) return null;
        long[] stride = conv.stride, dilation = conv.dilation;
        var groups = conv.groups;
        Func<Tensor, Tensor, Tensor> call = conv.transposed
            ? (a, w) => nn.functional.conv_transpose2d(a, w, strides: stride, padding: padding, output_padding: conv.output_padding, dilation: dilation, groups: groups)
            : (a, w) => nn.functional.conv2d(a, w, strides: stride, padding: padding, dilation: dilation, groups: groups);
        var name = $"{(conv.transposed ? "conv_transpose2d" : "conv2d")} {conv.in_channels}→{conv.out_channels} k{string.Join("×", conv.kernel_size)} " +
                   $"s{string.Join("×", stride)} p{string.Join("×", padding)} d{string.Join("×", dilation)} g{groups}";
        return (name, call);
    }

    bool Guarding(Tensor x) => guarding() && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU && x.dim() == 4;

    /// <summary>
    /// The configuration's key: the convolution, the input's shape, both layouts and the gradients autograd will ask
    /// for (oneDNN picks other kernels for other sets: a first layer's input, or a frozen weight, needs none).
    /// </summary>
    static (string Key, bool InputChannelsLast, bool WeightChannelsLast, (bool Input, bool Weight) Gradients) Key(string name, Tensor x, Tensor weight)
    {
        bool inputChannelsLast = Encoders.ChannelsLast.Is(x), weightChannelsLast = Encoders.ChannelsLast.Is(weight);
        var grad = is_grad_enabled();
        (bool Input, bool Weight) gradients = (grad && x.requires_grad, grad && weight.requires_grad);
        var wrt = gradients switch { (true, true) => "both gradients", (true, false) => "input gradient", (false, true) => "weight gradient", _ => "forward" };
        return ($"{name} on [{string.Join(", ", x.shape)}] {Layout(inputChannelsLast)}, weight {Layout(weightChannelsLast)}, {wrt}",
            inputChannelsLast, weightChannelsLast, gradients);
    }

    /// <summary>A relative error above the bar, NaN included.</summary>
    static bool IsWrong(double error) => !(error <= ConvolutionGuard.Bar);

    /// <summary>Whether any configuration was found wrong; until then no call builds a key to look one up.</summary>
    bool AnyWrong(Tensor x)
    {
        if (!Guarding(x)) return false;
        lock (gate) return FirstWrong is not null;
    }

    bool IsRerouted(string name, Tensor x, Tensor weight)
    {
        if (!AnyWrong(x)) return false;
        var key = Key(name, x, weight).Key;
        lock (gate) return checkedErrors.TryGetValue(key, out var error) && IsWrong(error);
    }

    /// <summary>The module's output computed in float64 when its configuration is a wrong one; else null.</summary>
    Tensor? InFloat64IfWrong(Convolution conv, Tensor x) =>
        AnyWrong(x) && Describe(conv) is { } d && IsRerouted(d.Name, x, conv.weight!) ? InFloat64(d.Call, x, conv.weight!, conv.bias) : null;

    /// <summary>
    /// The convolution through float64, which never uses oneDNN (nor does its backward); gradients flow through the
    /// casts to the float32 input and parameters. The result keeps the input's layout, as oneDNN's would.
    /// </summary>
    static Tensor InFloat64(Func<Tensor, Tensor, Tensor> call, Tensor x, Tensor weight, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var y = call(x.to(float64), weight.to(float64));
        if (bias is not null) y = y + bias.to(float64).view(1, -1, 1, 1);
        var result = y.to(float32);
        if (Encoders.ChannelsLast.Is(x)) result = Encoders.ChannelsLast.Of(result);
        return result.MoveToOuterDisposeScope();
    }

    void Admit(string name, Func<Tensor, Tensor, Tensor> call, Tensor x, Tensor weight)
    {
        if (!Guarding(x)) return;
        // Without autograd only the forward pass runs and is checked (a third of the float64 work).
        var (key, inputChannelsLast, weightChannelsLast, gradients) = Key(name, x, weight);
        lock (gate)
        {
            if (checkedErrors.ContainsKey(key) || !guarding()) return;
            double error;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                var generator = new Generator(20261207);
                var xs = randn(x.shape, dtype: float64, generator: generator);
                var ws = randn(weight.shape, dtype: float64, generator: generator);
                error = measure(call, xs, ws, (inputChannelsLast, weightChannelsLast), gradients);
            }
            checkSeconds += clock.Elapsed.TotalSeconds;
            checkedErrors[key] = error;
            if (!IsWrong(error)) return;
            var what = $"{key}: relative error {OneDnnCheck.Format(error)}";
            FirstWrong ??= what;
            rerouted(what);
        }
    }

    void Fail(string reason)
    {
        lock (gate)
            if (guarding()) uncheckable(reason);
    }

    static string Layout(bool channelsLast) => channelsLast ? "channels-last" : "NCHW";
}
