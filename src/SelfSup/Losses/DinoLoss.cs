using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// The self-distillation losses of DINO (Caron et al. 2021, §3.1, eq. 3) and iBOT (Zhou et al. 2022, §3, eq. 2–3):
/// cross-entropies H(P_t, P_s) = −Σ_k P_t(k) log P_s(k) between the teacher's centred, sharpened softmax (see
/// <see cref="TeacherCentre.Targets"/>) and the student's softmax at temperature τ_s. The teacher side carries no gradient.
/// </summary>
public static class DinoLoss
{
    /// <summary>
    /// Row-wise −Σ_k q_k log softmax(s/τ_s)_k for teacher probabilities <paramref name="teacherProbs"/> and student
    /// logits <paramref name="studentLogits"/> of the same shape [..., K]: returns [...].
    /// </summary>
    public static Tensor CrossEntropy(Tensor teacherProbs, Tensor studentLogits, double studentTemperature)
    {
        if (!(studentTemperature > 0)) throw new ArgumentException($"DINO loss: student temperature must be > 0, got {studentTemperature}");
        if (!teacherProbs.shape.SequenceEqual(studentLogits.shape))
            throw new ArgumentException($"DINO loss: teacher [{string.Join(", ", teacherProbs.shape)}] and student [{string.Join(", ", studentLogits.shape)}] must have the same shape");
        using var scope = NewDisposeScope();
        var logP = studentLogits.div(studentTemperature).log_softmax(-1);
        return (-(teacherProbs.detach() * logP)).sum(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// DINO's multi-crop loss: for every teacher view q (the global crops) and every student view v ≠ q, the batch
    /// mean of <see cref="CrossEntropy"/>, averaged over those pairs (as the reference divides by the number of
    /// terms). Teacher view i and student view i are the same crop, so <paramref name="teacherProbs"/> lists the
    /// global views first and <paramref name="studentLogits"/> all views in the same order. Each tensor is [B, K].
    /// </summary>
    public static Tensor MultiView(IReadOnlyList<Tensor> teacherProbs, IReadOnlyList<Tensor> studentLogits, double studentTemperature)
    {
        if (teacherProbs.Count < 1) throw new ArgumentException("DINO loss: needs at least one teacher view");
        if (studentLogits.Count < Math.Max(2, teacherProbs.Count))
            throw new ArgumentException($"DINO loss: the student must see every teacher view and at least one other, got {teacherProbs.Count} teacher and {studentLogits.Count} student views");
        using var scope = NewDisposeScope();
        Tensor? total = null;
        var terms = 0;
        for (int q = 0; q < teacherProbs.Count; q++)
            for (int v = 0; v < studentLogits.Count; v++)
            {
                if (v == q) continue; // the same crop on both sides
                var term = CrossEntropy(teacherProbs[q], studentLogits[v], studentTemperature).mean();
                total = total is null ? term : total + term;
                terms++;
            }
        return (total! / terms).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// iBOT's masked-patch loss for one view: the cross-entropy at each masked token, averaged over the masked tokens
    /// of its image, then over the B images (an image with no masked token counts as 0, as in the reference, which
    /// divides by max(count, 1)). <paramref name="teacherProbs"/> and <paramref name="studentLogits"/> are [M, K], the
    /// masked tokens of <paramref name="mask"/> [B, T] (1 = masked) in row-major order, i.e. <c>x[mask]</c>.
    /// </summary>
    public static Tensor MaskedPatches(Tensor teacherProbs, Tensor studentLogits, Tensor mask, double studentTemperature)
    {
        if (mask.dim() != 2) throw new ArgumentException($"iBOT patch loss: mask must be [B, T], got [{string.Join(", ", mask.shape)}]");
        using var scope = NewDisposeScope();
        var chosen = mask.to(ScalarType.Bool);                                      // [B, T]
        var count = chosen.sum([1], keepdim: true, type: ScalarType.Float32);        // [B, 1]
        var weight = chosen.to(ScalarType.Float32) / count.clamp_min(1) / mask.shape[0]; // [B, T]: 1/(|M_b|·B) where masked
        var w = weight[chosen].to(studentLogits.device);                            // [M]
        if (w.shape[0] != studentLogits.shape[0])
            throw new ArgumentException($"iBOT patch loss: the mask has {w.shape[0]} masked tokens but {studentLogits.shape[0]} student rows were given");
        if (w.shape[0] == 0) return zeros([], device: studentLogits.device).MoveToOuterDisposeScope();
        var ce = CrossEntropy(teacherProbs, studentLogits, studentTemperature);    // [M]
        return (ce * w).sum().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The teacher temperature per epoch (DINO's <c>teacher_temp_schedule</c>): a straight line from
    /// <paramref name="start"/> at epoch 0 to <paramref name="end"/> at epoch <paramref name="warmupEpochs"/> − 1
    /// (numpy's linspace over the warm-up epochs), then <paramref name="end"/> until the last of <paramref name="epochs"/>.
    /// A warm-up of 0 or 1 epoch gives [end…] or [start, end…]; warm-up longer than the run is cut at the run.
    /// </summary>
    public static double[] TeacherTemperatures(double start, double end, int warmupEpochs, int epochs)
    {
        if (epochs < 1) throw new ArgumentException($"teacher temperature schedule: epochs must be ≥ 1, got {epochs}");
        if (warmupEpochs < 0) throw new ArgumentException($"teacher temperature schedule: warm-up epochs must be ≥ 0, got {warmupEpochs}");
        if (!(start > 0 && end > 0)) throw new ArgumentException($"teacher temperature schedule: temperatures must be > 0, got {start} → {end}");
        var values = new double[epochs];
        for (int e = 0; e < epochs; e++)
            values[e] = e >= warmupEpochs ? end
                : warmupEpochs == 1 ? start
                : start + (end - start) * e / (warmupEpochs - 1);
        return values;
    }
}
