using System.Text.Json;
using SelfSup.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>
/// DINO's multi-view loss with centring and sharpening, the centre update and iBOT's masked-patch loss against an
/// independent float64 PyTorch implementation written from the papers (Fixtures/dino_reference.py, its output
/// Fixtures/dino_reference.json), plus hand-computed cases.
/// </summary>
public class DinoLossTests
{
    static readonly JsonElement Reference = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dino_reference.json"))).RootElement;

    static double Number(string key) => Reference.GetProperty(key).GetDouble();

    /// <summary>A nested JSON array of numbers as a float32 tensor of its shape.</summary>
    static Tensor Array(JsonElement e)
    {
        var shape = new List<long>();
        for (var x = e; x.ValueKind == JsonValueKind.Array; x = x[0]) shape.Add(x.GetArrayLength());
        var values = new List<float>();
        void Flatten(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var y in x.EnumerateArray()) Flatten(y);
            else values.Add((float)x.GetDouble());
        }
        Flatten(e);
        return tensor(values.ToArray(), shape.ToArray());
    }

    static Tensor Array(string key) => Array(Reference.GetProperty(key));

    static Tensor[] Arrays(string key) => Reference.GetProperty(key).EnumerateArray().Select(Array).ToArray();

    static TeacherCentre CentreAt(Tensor value, double momentum)
    {
        var centre = new TeacherCentre((int)value.shape[1], momentum);
        using (no_grad()) centre.Value.copy_(value);
        return centre;
    }

    [Fact]
    public void MultiViewLoss_WithCentringAndSharpening_MatchesTheReference()
    {
        var student = Arrays("student");
        var teacher = Arrays("teacher");
        using var centre = CentreAt(Array("centre"), Number("center_momentum"));
        using var teacherLogits = cat(teacher, 0);
        using var targets = centre.Targets(teacherLogits, Number("teacher_temp"));
        using var loss = DinoLoss.MultiView(targets.chunk(2), student, Number("student_temp"));
        Assert.Equal(Number("dino_loss"), loss.item<float>(), 1e-5);

        using var sharpenedOnly = centre.Targets(teacherLogits, Number("teacher_temp"), centre: false);
        using var uncentred = DinoLoss.MultiView(sharpenedOnly.chunk(2), student, Number("student_temp"));
        Assert.Equal(Number("dino_loss_uncentred"), uncentred.item<float>(), 1e-5);
    }

    [Fact]
    public void CentreUpdate_MatchesTheReference()
    {
        using var centre = CentreAt(Array("centre"), Number("center_momentum"));
        using var teacherLogits = cat(Arrays("teacher"), 0);
        centre.Update(teacherLogits);
        using var expected = Array("new_centre");
        Assert.True(centre.Value.allclose(expected, rtol: 0, atol: 1e-5), "centre after the update");
    }

    [Fact]
    public void MaskedPatchLoss_AndPatchCentreUpdate_MatchTheReference()
    {
        using var teacherPatch = Array("teacher_patch");   // [B, T, K]
        using var studentPatch = Array("student_patch");   // [B, T, K]
        using var mask = Array("mask");                    // [B, T], image 1 has no masked patch
        using var centre = CentreAt(Array("patch_centre"), Number("center_momentum"));
        using var chosen = mask.to(ScalarType.Bool);
        using var targets = centre.Targets(teacherPatch, Number("patch_teacher_temp")); // [B, T, K]
        using var loss = DinoLoss.MaskedPatches(targets[chosen], studentPatch[chosen], mask, Number("student_temp"));
        Assert.Equal(Number("patch_loss"), loss.item<float>(), 1e-5);

        centre.Update(teacherPatch.flatten(0, 1));
        using var expected = Array("new_patch_centre");
        Assert.True(centre.Value.allclose(expected, rtol: 0, atol: 1e-5), "patch centre after the update");
    }

    [Fact]
    public void CrossEntropy_IsLogK_ForUniformTeacherAndEqualStudentLogits()
    {
        using var teacher = full(2, 4, 0.25f);
        using var student = zeros(2, 4);
        using var ce = DinoLoss.CrossEntropy(teacher, student, 0.1);
        Assert.Equal(new long[] { 2 }, ce.shape);
        Assert.All(ce.data<float>().ToArray(), v => Assert.Equal(Math.Log(4), v, 5));
    }

    [Fact]
    public void MultiView_SkipsTheSameViewPairs()
    {
        // Teacher one-hot on dimension 0 for view 0; student view 0 disagrees totally, view 1 agrees: only the (0, 1)
        // pair counts, so the loss is the cross-entropy of the agreeing view alone: log(1 + 3e^(−10)).
        using var teacher = tensor(new float[] { 1, 0, 0, 0 }).view(1, 4);
        using var disagree = tensor(new float[] { 0, 1, 1, 1 }).view(1, 4);
        using var agree = tensor(new float[] { 1, 0, 0, 0 }).view(1, 4);
        using var loss = DinoLoss.MultiView([teacher], [disagree, agree], 0.1);
        Assert.Equal(Math.Log(1 + 3 * Math.Exp(-10)), loss.item<float>(), 6);
    }

    [Fact]
    public void MaskedPatches_IsZero_WhenNothingIsMasked()
    {
        using var mask = zeros(2, 3);
        using var empty = zeros(0, 4);
        using var loss = DinoLoss.MaskedPatches(empty, empty, mask, 0.1);
        Assert.Equal(0f, loss.item<float>());
        using var wrong = zeros(1, 4);
        Assert.Contains("0 masked tokens", Assert.Throws<ArgumentException>(() => DinoLoss.MaskedPatches(wrong, wrong, mask, 0.1)).Message);
    }

    [Fact]
    public void TeacherTemperatures_RiseLinearlyOverTheWarmup_ThenStayAtTheEnd()
    {
        var t = DinoLoss.TeacherTemperatures(0.04, 0.07, 30, 100);
        Assert.Equal(100, t.Length);
        Assert.Equal(0.04, t[0], 12);
        Assert.Equal(0.04 + 0.03 * 10 / 29, t[10], 12);
        Assert.Equal(0.07, t[29], 12);
        Assert.All(t.Skip(29), v => Assert.Equal(0.07, v, 12));
        Assert.Equal([0.04, 0.07, 0.07], DinoLoss.TeacherTemperatures(0.04, 0.07, 1, 3));
        Assert.Equal([0.07, 0.07], DinoLoss.TeacherTemperatures(0.04, 0.07, 0, 2));
        Assert.Equal([0.04, 0.055], DinoLoss.TeacherTemperatures(0.04, 0.07, 3, 2).Select(v => Math.Round(v, 12))); // warm-up cut by the run
    }
}
