using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public class MomentumTeacherTests
{
    /// <summary>An encoder-plus-head stand-in with both parameters and buffers (BatchNorm running statistics).</summary>
    static Sequential Net() => nn.Sequential(("fc", nn.Linear(4, 3)), ("bn", nn.BatchNorm1d(3)), ("out", nn.Linear(3, 2)));

    /// <summary>A student whose BatchNorm buffers have moved away from their initial values.</summary>
    static Sequential TrainedStudent()
    {
        TorchRuntime.Initialize();
        var student = Net();
        using var x = randn(8, 4).mul_(3).add_(1);
        using (no_grad()) student.forward(x).Dispose();
        return student;
    }

    static void Fill(nn.Module module, float parameters, float? runningMean = null)
    {
        using var noGrad = no_grad();
        foreach (var p in module.parameters()) p.fill_(parameters);
        if (runningMean is { } m)
            foreach (var (name, b) in module.named_buffers())
                if (name.EndsWith("running_mean", StringComparison.Ordinal)) b.fill_(m);
    }

    static void AssertSameState(nn.Module expected, nn.Module actual)
    {
        var e = expected.state_dict();
        var a = actual.state_dict();
        Assert.Equal(e.Keys.Order(), a.Keys.Order());
        foreach (var (key, value) in e)
            Assert.True(value.equal(a[key]).all().item<bool>(), $"'{key}' differs");
    }

    sealed class Owner : nn.Module
    {
        readonly Sequential student;
        readonly MomentumTeacher<Sequential> teacher;

        public Owner(TeacherMode mode = TeacherMode.FollowOwner) : base(nameof(Owner))
        {
            student = Net();
            teacher = MomentumTeacher.Create(student, Net, mode);
            RegisterComponents();
        }

        public Sequential Student => student;
        public MomentumTeacher<Sequential> Teacher => teacher;
    }

    [Fact]
    public void Construction_CopiesEveryParameterAndBufferOfTheStudent()
    {
        using var student = TrainedStudent();
        using var teacher = MomentumTeacher.Create(student, Net);
        AssertSameState(student, teacher.Module);
        var mean = teacher.Module.named_buffers().Single(b => b.name == "bn.running_mean").buffer;
        Assert.False(mean.eq(0).all().item<bool>());                 // the student's statistics, not a fresh BatchNorm's
        Fill(student, 7f);
        Assert.False(teacher.Module.parameters().First().eq(7f).all().item<bool>()); // its own storage
    }

    [Fact]
    public void EveryTeacherParameter_HasRequiresGradFalse_WhileTheStudentStillTrains()
    {
        using var student = TrainedStudent();
        using var teacher = MomentumTeacher.Create(student, Net);
        Assert.NotEmpty(teacher.parameters());
        Assert.All(teacher.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(student.parameters(), p => Assert.True(p.requires_grad));
        teacher.Update(student, 0.5);
        Assert.All(teacher.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Update_MixesParameters_TeacherTimesMomentumPlusStudentTimesTheRest()
    {
        using var student = TrainedStudent();
        using var teacher = MomentumTeacher.Create(student, Net);
        Fill(teacher.Module, 2f, runningMean: 1f);
        Fill(student, 12f, runningMean: 5f);
        teacher.Update(student, 0.9);
        foreach (var (name, p) in teacher.Module.named_parameters())
            Assert.True(p.allclose(full_like(p, 0.9 * 2 + 0.1 * 12), rtol: 0, atol: 1e-6), $"'{name}' is not 3.0");
        var mean = teacher.Module.named_buffers().Single(b => b.name == "bn.running_mean").buffer;
        Assert.True(mean.eq(5f).all().item<bool>());                  // buffers copied from the student
    }

    [Fact]
    public void Update_WithKeepOwnBuffers_AveragesParametersOnly()
    {
        using var student = TrainedStudent();
        using var teacher = MomentumTeacher.Create(student, Net, buffers: TeacherBuffers.KeepOwn);
        Fill(teacher.Module, 2f, runningMean: 1f);
        Fill(student, 12f, runningMean: 5f);
        teacher.Update(student, 0.5);
        Assert.All(teacher.Module.parameters(), p => Assert.True(p.eq(7f).all().item<bool>()));
        var mean = teacher.Module.named_buffers().Single(b => b.name == "bn.running_mean").buffer;
        Assert.True(mean.eq(1f).all().item<bool>());
    }

    [Fact]
    public void Update_WithMomentumOne_KeepsTheTeacher_AndWithZero_CopiesTheStudent()
    {
        using var student = TrainedStudent();
        using var teacher = MomentumTeacher.Create(student, Net);
        Fill(teacher.Module, 0.3f);
        Fill(student, 0.7f);
        teacher.Update(student, 1.0);
        Assert.All(teacher.Module.parameters(), p => Assert.True(p.eq(0.3f).all().item<bool>()));
        teacher.Update(student, 0.0);
        AssertSameState(student, teacher.Module);
    }

    [Fact]
    public void Gradients_ReachTheStudentButNeverTheTeacher()
    {
        using var student = TrainedStudent();
        using var teacher = MomentumTeacher.Create(student, Net);
        using var x = randn(6, 4);
        var target = teacher.Module.forward(x);                       // no no_grad on purpose
        Assert.False(target.requires_grad);
        var loss = (student.forward(x) * target).sum();                // teacher == student, so use a product, not a difference
        loss.backward();
        Assert.All(student.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
        Assert.All(teacher.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void StateDict_SavesTheTeacherUnderTheOwnersField_AndRestoresIt()
    {
        TorchRuntime.Initialize();
        using var a = new Owner();
        Fill(a.Student, 1.5f, runningMean: 4f);
        a.Teacher.Update(a.Student, 0.5);                             // teacher now differs from both inits
        Assert.Contains("teacher.module.fc.weight", a.state_dict().Keys);
        Assert.Contains("teacher.module.bn.running_mean", a.state_dict().Keys);

        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) a.save(w);
        stream.Position = 0;
        using var b = new Owner();
        Assert.False(b.Teacher.Module.parameters().First().equal(a.Teacher.Module.parameters().First()).all().item<bool>());
        using (var r = new BinaryReader(stream)) b.load(r, strict: true);
        AssertSameState(a.Teacher, b.Teacher);
        Assert.All(b.Teacher.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void FollowOwner_TracksTheOwnersMode_AlwaysEval_StaysInEvaluation()
    {
        TorchRuntime.Initialize();
        using var following = new Owner(TeacherMode.FollowOwner);
        following.train();
        Assert.True(following.Teacher.Module.training);
        following.eval();
        Assert.All(following.Teacher.Module.modules(), m => Assert.False(m.training));

        using var frozen = new Owner(TeacherMode.AlwaysEval);
        frozen.train();
        Assert.True(frozen.Student.training);
        Assert.False(frozen.Teacher.training);
        Assert.All(frozen.Teacher.Module.modules(), m => Assert.False(m.training));
    }

    [Fact]
    public void AFactoryThatReturnsTheStudentOrAnotherArchitecture_IsRejected()
    {
        using var student = TrainedStudent();
        var same = Assert.Throws<ArgumentException>(() => MomentumTeacher.Create(student, () => student));
        Assert.Contains("student itself", same.Message);
        var other = Assert.Throws<ArgumentException>(() =>
            MomentumTeacher.Create(student, () => nn.Sequential(("fc", nn.Linear(4, 5)), ("bn", nn.BatchNorm1d(5)), ("out", nn.Linear(5, 2)))));
        Assert.Contains("'fc.weight'", other.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Update_RejectsAMomentumOutsideTheUnitInterval(double momentum)
    {
        using var student = TrainedStudent();
        using var teacher = MomentumTeacher.Create(student, Net);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => teacher.Update(student, momentum));
        Assert.Equal("momentum", e.ParamName);
    }

    [Fact]
    public void MomentumSchedules_AreTheSharedSchedules_WithValidatedEnds()
    {
        Assert.Equal(Schedules.Cosine(0.996, 1, 10), MomentumTeacher.CosineSchedule(0.996, 1, 10));
        Assert.Equal(Schedules.Linear(0.996, 1, 10), MomentumTeacher.LinearSchedule(0.996, 1, 10));
        Assert.Equal(1.0, MomentumTeacher.CosineSchedule(0.99, 1, 4)[^1]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => MomentumTeacher.CosineSchedule(0.996, 1.01, 10));
        Assert.Equal("end", e.ParamName);
    }
}
