using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup;

/// <summary>
/// libtorch runs float32 CPU convolutions through oneDNN (v3.7.1 in libtorch 2.10). On some CPUs its JIT kernels
/// are wrong: on an AMD EPYC (family 26, AVX-512) the input gradient of an NCHW convolution whose output channels
/// are not a multiple of 16 is far off or NaN, at any thread count and with the ISA capped at AVX2, and some
/// channels-last convolutions are wrong even in the forward pass (a 1×1 convolution from 256 to 512 channels on
/// 4×4 maps, as in a ResNet-18 of width 64). Training on such numbers would silently learn from garbage, so before
/// the first model runs, the forward and backward passes of two small convolutions that show these faults are
/// compared, in NCHW and in channels-last layout, with libtorch's float64 path (which never uses oneDNN). Where any
/// differs, oneDNN stays on but every convolution configuration is checked the same way before it first runs
/// (<see cref="ConvolutionGuard"/>); a wrong one runs in float64 from then on, which never uses oneDNN, and every
/// other keeps oneDNN's speed. <c>SELFSUP_ONEDNN=on</c> or <c>off</c> skips the checks
/// and forces the choice.
/// </summary>
public static class OneDnnCheck
{
    static int done;

    /// <summary>What the check found: null before it ran, else a one-line summary (also printed when oneDNN was switched off).</summary>
    public static string? Outcome { get; private set; }

    /// <summary>True after the checks (or SELFSUP_ONEDNN=off) turned oneDNN off for this process.</summary>
    public static bool SwitchedOff { get; private set; }

    /// <summary>
    /// True while oneDNN is on although the probes found it wrong on this CPU: <see cref="ConvolutionGuard"/> then
    /// checks every new convolution configuration before it runs.
    /// </summary>
    public static bool Guarding { get; private set; }

    /// <summary>Runs the check once per process; later calls return at once.</summary>
    public static void Run()
    {
        if (Interlocked.Exchange(ref done, 1) == 1) return;
        var forced = Setting(Environment.GetEnvironmentVariable("SELFSUP_ONEDNN"));
        if (forced is bool on)
        {
            if (!on) SwitchOff();
            Outcome = on ? "oneDNN on (SELFSUP_ONEDNN=on)" : SwitchedOff ? "oneDNN off (SELFSUP_ONEDNN=off)" : "SELFSUP_ONEDNN=off, but this libtorch build has no switch for oneDNN";
            return;
        }
        var (nchw, channelsLast) = RelativeErrors();
        var errors = $"relative error against float64: NCHW {Format(nchw)}, channels-last {Format(channelsLast)}";
        if (Math.Max(nchw, channelsLast) <= 1e-4)
        {
            Outcome = "oneDNN convolutions are right on this CPU (" + errors + ")";
            return;
        }
        var wrong = $"oneDNN convolutions are wrong on this CPU for some shapes ({errors}); ";
        if (CanSwitch())
        {
            Guarding = true;
            Outcome = wrong + "SelfSup checks each convolution shape against float64 before it first runs and runs a wrong one in float64. SELFSUP_ONEDNN=off switches it off now, SELFSUP_ONEDNN=on skips the checks.";
        }
        else
        {
            Outcome = wrong + "this libtorch build has no switch for oneDNN, so it stays on: do not trust training on this machine.";
            Console.Error.WriteLine("warning: " + Outcome);
        }
    }

    /// <summary>
    /// Called by <see cref="ConvolutionGuard"/> for a convolution it cannot check (padding "same", a non-zero padding
    /// mode): oneDNN off for the rest of the process, with one warning.
    /// </summary>
    internal static void SwitchOffForUncheckable(string reason)
    {
        Guarding = false;
        SwitchOff();
        Outcome = $"oneDNN convolutions are wrong on this CPU for some shapes, and {reason}; SelfSup uses libtorch's own convolutions from here on " +
                  "(right, several times slower). SELFSUP_ONEDNN=on forces oneDNN back.";
        Console.Error.WriteLine("warning: " + Outcome);
    }

    /// <summary>A relative error for a message; NaN, and the +∞ that stands for it, read "NaN".</summary>
    internal static string Format(double e) => double.IsPositiveInfinity(e) || double.IsNaN(e) ? "NaN" : e.ToString("G2");

    /// <summary>SELFSUP_ONEDNN's value: true for on, false for off, null where unset (check the CPU).</summary>
    public static bool? Setting(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "on" => true,
        "off" => false,
        _ => throw new ArgumentException($"environment variable SELFSUP_ONEDNN is '{value}'; expected on, off or unset (unset: check this CPU)"),
    };

    /// <summary>
    /// The larger <see cref="RelativeError"/> of two convolutions, in NCHW and in channels-last layout: a 3×3 one
    /// from 4 to 4 channels on 32 maps of 16×16 (oneDNN pads the channels to its 16-wide blocks), and a 1×1 one from
    /// 256 to 512 channels on 4 maps of 4×4.
    /// </summary>
    public static (double Nchw, double ChannelsLast) RelativeErrors()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(20261207);
        var probes = new (Tensor X, Tensor W, int Padding)[]
        {
            (randn([32, 4, 16, 16], dtype: float64, generator: generator), randn([4, 4, 3, 3], dtype: float64, generator: generator), 1),
            (randn([4, 256, 4, 4], dtype: float64, generator: generator), randn([512, 256, 1, 1], dtype: float64, generator: generator), 0),
        };
        double nchw = 0, channelsLast = 0;
        foreach (var (x, w, padding) in probes)
        {
            Tensor Conv(Tensor a, Tensor b) => nn.functional.conv2d(a, b, padding: [padding, padding]);
            nchw = Math.Max(nchw, RelativeError(Conv, x, w, channelsLast: false));
            channelsLast = Math.Max(channelsLast, RelativeError(Conv, x, w, channelsLast: true));
        }
        return (nchw, channelsLast);
    }

    /// <summary>
    /// The largest relative error (output, input gradient, weight gradient; NaN counts as +∞) of
    /// <paramref name="conv"/> in float32, with <paramref name="x"/> (and the output gradient) in the given layout,
    /// against the same call in float64, over <paramref name="rounds"/> rounds; the float32 weight is channels-last
    /// where <paramref name="weightChannelsLast"/> says so; the gradients compared are those asked for (none: the
    /// output only). The fault depends on what oneDNN's
    /// padded buffers start with: on fresh, zeroed pages (a process's first large allocations) the result is often
    /// right, on reused memory wrong, so freed NaN-filled blocks make every round start on dirty memory.
    /// </summary>
    public static double RelativeError(Func<Tensor, Tensor, Tensor> conv, Tensor x, Tensor w, bool channelsLast, int rounds = 3,
        bool weightChannelsLast = false, bool inputGradient = true, bool weightGradient = true)
    {
        using var scope = NewDisposeScope();
        var gradients = inputGradient || weightGradient;
        using var grad = set_grad_enabled(gradients); // callers may be inside no_grad()
        var g = gradients ? randn(conv(x.to(float64), w.to(float64)).shape, dtype: float64, generator: new Generator(7)) : null;
        var expected = ForwardBackward(conv, x.to(float64), w.to(float64), g, inputGradient, weightGradient);
        Tensor Cast(Tensor t) => channelsLast ? Encoders.ChannelsLast.Of(t.to(float32)) : t.to(float32);
        double worst = 0;
        for (int round = 0; round < rounds; round++)
        {
            Poison();
            var w32 = weightChannelsLast ? Encoders.ChannelsLast.Of(w.to(float32)) : w.to(float32);
            var actual = ForwardBackward(conv, Cast(x), w32, g is null ? null : Cast(g), inputGradient, weightGradient);
            for (int i = 0; i < expected.Length; i++)
            {
                var e = (actual[i].to(float64) - expected[i]).norm().item<double>() / expected[i].norm().item<double>();
                worst = double.IsNaN(e) ? double.PositiveInfinity : Math.Max(worst, e);
            }
        }
        return worst;
    }

    /// <summary>Allocates, fills with NaN and frees blocks of 64 KiB to 4 MiB, twice, so the allocator reuses them.</summary>
    static void Poison()
    {
        for (int round = 0; round < 2; round++)
            for (long n = 16 << 10; n <= 1 << 20; n *= 2)
            {
                using var block = full(n, float.NaN, dtype: float32);
            }
    }

    /// <summary>
    /// The output, and with an output gradient <paramref name="g"/> the gradients asked for: oneDNN runs other
    /// kernels for a weight gradient alone (a first layer's input needs none) than for both.
    /// </summary>
    static Tensor[] ForwardBackward(Func<Tensor, Tensor, Tensor> conv, Tensor x, Tensor w, Tensor? g, bool inputGradient, bool weightGradient)
    {
        var xi = x.detach().requires_grad_(g is not null && inputGradient);
        var wi = w.detach().requires_grad_(g is not null && weightGradient);
        var y = conv(xi, wi);
        if (g is null) return [y];
        var wrt = new List<Tensor>();
        if (inputGradient) wrt.Add(xi);
        if (weightGradient) wrt.Add(wi);
        return [y.detach(), .. autograd.grad([y], wrt, [g])];
    }

    /// <summary>at::globalContext().setUserEnabledMkldnn(false), through libtorch's exported C++ symbols (TorchSharp has no binding).</summary>
    static void SwitchOff()
    {
        if (Switch() is not { } setEnabled) return;
        setEnabled(false);
        SwitchedOff = true;
    }

    static bool CanSwitch() => Switch() is not null;

    /// <summary>at::globalContext().setUserEnabledMkldnn, or null where this libtorch build does not export it.</summary>
    static Action<bool>? Switch()
    {
        using var touch = zeros(1); // loads libtorch before its exports are looked up
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
        {
            if (!NativeLibrary.TryLoad(name, typeof(torch).Assembly, null, out var library)) continue;
            if (!NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var context) ||
                !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledMkldnnEb", out var setEnabled)) return null;
            return on =>
            {
                unsafe
                {
                    var ctx = ((delegate* unmanaged<IntPtr>)context)();
                    ((delegate* unmanaged<IntPtr, byte, void>)setEnabled)(ctx, on ? (byte)1 : (byte)0);
                }
            };
        }
        return null;
    }
}
