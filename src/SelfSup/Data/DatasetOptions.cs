namespace SelfSup.Data;

/// <summary>How <see cref="Datasets.Load"/> prepares a dataset.</summary>
public sealed record DatasetOptions
{
    /// <summary>Square side in pixels; null keeps the dataset's own size (image folders: the first image's shorter side).</summary>
    public int? ImageSize { get; init; }

    /// <summary>1 (luminance) or 3 (RGB); null keeps the dataset's own channels (image folders: 1 when every image is gray, else 3).</summary>
    public int? Channels { get; init; }

    /// <summary>Where packed datasets and downloads live; null uses <see cref="PackedCache.DefaultDirectory"/>.</summary>
    public string? CacheDir { get; init; }

    /// <summary>Receives one line per preparation step (source found, decoding, cache written).</summary>
    public IProgress<string>? Log { get; init; }

    /// <summary>
    /// How the test split is made for a labelled source without one of its own (default: a seeded, stratified 20 %);
    /// its train split is the rest. Sources with a test split ignore it.
    /// </summary>
    public TestHoldOut HoldOut { get; init; } = new();

    /// <summary>
    /// A label file (<see cref="LabelFile"/>: CSV or TSV, <c>path,label</c>, paths relative to the image folder) that
    /// labels a subset of an image folder: the dataset is then those images with those labels, split by
    /// <see cref="HoldOut"/>. Null: the folder's own layout decides.
    /// </summary>
    public string? Labels { get; init; }

    /// <summary>
    /// A second label file for the test split: without <see cref="TestData"/>, same format and folder as
    /// <see cref="Labels"/> and disjoint from it; with it, paths relative to <see cref="TestData"/>. Null: hold out.
    /// </summary>
    public string? TestLabels { get; init; }

    /// <summary>
    /// A separate image folder that is the test split (class folders, or any folder labelled by <see cref="TestLabels"/>)
    /// instead of a hold-out: the train split is then all of the dataset's training images, the recorded split is
    /// "given" with this folder as its source, and a test image that is also a training image is an error.
    /// </summary>
    public string? TestData { get; init; }

    /// <summary>How images become squares: shorter side and centre crop (default) or longer side and black padding.</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Crop;

    /// <summary>A fixed intensity window for 16-bit PNGs; null scales each 16-bit image by its own range.</summary>
    public IntensityWindow? Window { get; init; }

    /// <summary>
    /// Read an image folder as an unlabeled pile, every image at any depth, even when its images sit only in
    /// sub-folders (one per patient, say) that would otherwise be taken for classes.
    /// </summary>
    public bool Unlabeled { get; init; }

    /// <summary>Leave out (and count) image files that cannot be decoded instead of stopping at the first, which is named.</summary>
    public bool SkipBadImages { get; init; }

    /// <summary>
    /// Where the decoded pixels live during the run: in memory, or read from the packed file as batches need them
    /// (for datasets larger than memory). Auto decides by size (<see cref="PackedCache.Decide"/>).
    /// </summary>
    public DataStorage Storage { get; init; }
}
