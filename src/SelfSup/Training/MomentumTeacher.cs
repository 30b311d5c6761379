using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>How the teacher follows its owner's <c>train()</c> / <c>eval()</c> calls.</summary>
public enum TeacherMode
{
    /// <summary>
    /// Follows the owner: in training mode during training, so BatchNorm layers normalise with the teacher batch's
    /// own statistics. The official DINO, BYOL and MoCo code all run their teacher this way (none ever calls eval on it).
    /// </summary>
    FollowOwner,

    /// <summary>Always in evaluation mode: BatchNorm uses running statistics, dropout and drop-path are off.</summary>
    AlwaysEval,
}

/// <summary>Where the teacher's buffers (BatchNorm running statistics and counters) come from at each update.</summary>
public enum TeacherBuffers
{
    /// <summary>
    /// Copied from the student at every <see cref="MomentumTeacher{TModule}.Update"/>: the teacher's running
    /// statistics are always those of the current student. Needed with <see cref="TeacherMode.AlwaysEval"/>, where
    /// the teacher never refreshes them itself.
    /// </summary>
    CopyFromStudent,

    /// <summary>
    /// Left alone: a teacher in training mode keeps its own running statistics from its own forward passes. This is
    /// what the official DINO, MoCo and BYOL code and lightly's <c>update_momentum</c> do (they average parameters only).
    /// </summary>
    KeepOwn,
}

/// <summary>
/// An exponential moving average of a student module (encoder plus heads): the momentum encoder of MoCo (He et al.
/// 2020), the target network of BYOL (Grill et al. 2020), the teacher of DINO (Caron et al. 2021) and iBOT, the
/// target encoder of I-JEPA. TorchSharp has no deep copy, so the teacher is built by the same factory as the
/// student and starts from the student's state dict (parameters and buffers). It never receives gradients: every
/// parameter has requires_grad false. After each optimiser step, <see cref="Update"/> sets
/// p_t ← m·p_t + (1 − m)·p_s for every parameter and handles buffers as <see cref="Buffers"/> says.
/// Register it as a field of the method, so its state is saved with the method's (keys
/// <c>{field}.module.{student key}</c>). Stochastic depth and dropout in the teacher are the factory's choice
/// (DINO builds its teacher without drop-path).
/// </summary>
public sealed class MomentumTeacher<TModule> : nn.Module where TModule : nn.Module
{
    readonly TModule module;

    /// <param name="student">The module whose weights the teacher starts from and follows.</param>
    /// <param name="factory">Builds a fresh module of the student's architecture (same state-dict keys and shapes).</param>
    /// <param name="mode">Whether the teacher follows the owner's training mode (the references' practice) or stays in evaluation mode.</param>
    /// <param name="buffers">Whether buffers are copied from the student at each update or left to the teacher.</param>
    public MomentumTeacher(TModule student, Func<TModule> factory, TeacherMode mode = TeacherMode.FollowOwner,
        TeacherBuffers buffers = TeacherBuffers.CopyFromStudent) : base("MomentumTeacher")
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(factory);
        module = factory();
        if (module is null) throw new ArgumentException("MomentumTeacher: the factory returned null", nameof(factory));
        if (ReferenceEquals(module, student))
            throw new ArgumentException("MomentumTeacher: the factory must build a new module, it returned the student itself", nameof(factory));
        (Mode, Buffers) = (mode, buffers);
        CheckSameLayout(student, module);
        module.load_state_dict(student.state_dict());
        foreach (var p in module.parameters()) p.requires_grad = false;
        RegisterComponents();
        train(student.training);
    }

    /// <summary>The averaged module; call its forward under <c>torch.no_grad()</c> for targets.</summary>
    public TModule Module => module;

    public TeacherMode Mode { get; }

    public TeacherBuffers Buffers { get; }

    /// <summary>Follows the owner unless <see cref="Mode"/> is <see cref="TeacherMode.AlwaysEval"/>.</summary>
    public override void train(bool train = true) => base.train(train && Mode == TeacherMode.FollowOwner);

    /// <summary>
    /// p_t ← m·p_t + (1 − m)·p_s for every parameter (m = 1 keeps the teacher, m = 0 copies the student), then
    /// buffers as <see cref="Buffers"/> says. Call it after the optimiser step, without gradient tracking.
    /// </summary>
    public void Update(TModule student, double momentum)
    {
        ArgumentNullException.ThrowIfNull(student);
        if (!(momentum >= 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "MomentumTeacher.Update: momentum must be in [0, 1]");
        using var noGrad = no_grad();
        var studentParams = student.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in module.named_parameters())
            p.mul_(momentum).add_(Lookup(studentParams, name, "parameter"), alpha: 1 - momentum);
        if (Buffers != TeacherBuffers.CopyFromStudent) return;
        var studentBuffers = student.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, b) in module.named_buffers())
            b.copy_(Lookup(studentBuffers, name, "buffer"));
    }

    static T Lookup<T>(Dictionary<string, T> student, string name, string what) where T : Tensor =>
        student.TryGetValue(name, out var t) ? t
            : throw new ArgumentException($"MomentumTeacher.Update: the student has no {what} '{name}' (not the module the teacher was built from?)");

    /// <summary>Same state-dict keys and shapes, so that loading cannot silently broadcast a tensor.</summary>
    static void CheckSameLayout(nn.Module student, nn.Module teacher)
    {
        var s = student.state_dict();
        var t = teacher.state_dict();
        foreach (var (key, value) in s)
        {
            if (!t.TryGetValue(key, out var other))
                throw new ArgumentException($"MomentumTeacher: the factory's module has no '{key}'; it must build the student's architecture");
            if (!value.shape.SequenceEqual(other.shape))
                throw new ArgumentException($"MomentumTeacher: '{key}' has shape [{string.Join(", ", other.shape)}] in the factory's module, " +
                    $"expected the student's [{string.Join(", ", value.shape)}]");
        }
        foreach (var key in t.Keys.Where(k => !s.ContainsKey(k)))
            throw new ArgumentException($"MomentumTeacher: the factory's module has '{key}', which the student lacks; it must build the student's architecture");
    }
}

/// <summary>Construction and schedule helpers for <see cref="MomentumTeacher{TModule}"/>.</summary>
public static class MomentumTeacher
{
    /// <summary>Builds a teacher for <paramref name="student"/> (type inferred): see the class's constructor.</summary>
    public static MomentumTeacher<TModule> Create<TModule>(TModule student, Func<TModule> factory,
        TeacherMode mode = TeacherMode.FollowOwner, TeacherBuffers buffers = TeacherBuffers.CopyFromStudent)
        where TModule : nn.Module => new(student, factory, mode, buffers);

    /// <summary>
    /// The EMA momentum per step, a half-cosine from <paramref name="start"/> to <paramref name="end"/> (BYOL and
    /// DINO: 0.996 → 1), as <see cref="Schedules.Cosine"/>.
    /// </summary>
    public static double[] CosineSchedule(double start, double end, long totalSteps)
    {
        CheckMomentum(start, nameof(start));
        CheckMomentum(end, nameof(end));
        return Schedules.Cosine(start, end, totalSteps);
    }

    /// <summary>The EMA momentum per step on a straight line (I-JEPA: 0.996 → 1), as <see cref="Schedules.Linear"/>.</summary>
    public static double[] LinearSchedule(double start, double end, long totalSteps)
    {
        CheckMomentum(start, nameof(start));
        CheckMomentum(end, nameof(end));
        return Schedules.Linear(start, end, totalSteps);
    }

    static void CheckMomentum(double m, string field)
    {
        if (!(m >= 0 && m <= 1)) throw new ArgumentOutOfRangeException(field, m, $"momentum schedule: {field} must be in [0, 1]");
    }
}
