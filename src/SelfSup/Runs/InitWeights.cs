using SelfSup.Encoders;
using SelfSup.Interop;
using SelfSup.Methods;
using SelfSup.Training;

namespace SelfSup.Runs;

/// <summary>
/// Starts a run from pretrained weights (<see cref="RunConfig.Init"/>): a safetensors or PyTorch state dict in the
/// encoder's reference names (torchvision for ResNets, timm for ViTs), checked key by key against the encoder and
/// loaded after the method is built, so that a method's own re-initialisation (zero-init residuals, MAE's
/// xavier init) does not overwrite it. Momentum teachers of the encoder start from the student, as at construction.
/// </summary>
public static class InitWeights
{
    /// <summary>Loads <paramref name="path"/> into <paramref name="method"/>'s encoder and copies it into its encoder teachers.</summary>
    public static WeightImport Apply(SslMethod method, string path)
    {
        ArgumentNullException.ThrowIfNull(method);
        var import = EncoderWeights.Import(method.Encoder, path);
        var student = method.Encoder.state_dict();
        foreach (var module in method.modules())
        {
            Encoder? teacher = module switch
            {
                MomentumTeacher<Encoder> t => t.Module,
                MomentumTeacher<Vit> t => t.Module,
                _ => null,
            };
            if (teacher is not null && !ReferenceEquals(teacher, method.Encoder)) teacher.load_state_dict(student);
        }
        return import;
    }
}
