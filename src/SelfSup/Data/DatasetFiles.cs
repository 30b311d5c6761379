namespace SelfSup.Data;

/// <summary>
/// Which image file each row of a loaded split was decoded from, where that is known: a split that is a whole image
/// folder as <see cref="Datasets.Load"/> reads it (the <c>train/</c> or <c>test/</c> folder of a dataset that has
/// both, the <see cref="Datasets.AllSplit"/> of a folder, or the train split of an unlabeled pile, which is all of
/// it). Held-out splits, label files, skipped images and sources without files (IDX, CIFAR, NPZ, built-ins) give none.
/// </summary>
public static class DatasetFiles
{
    /// <summary>Full paths of the <paramref name="rows"/> rows of split <paramref name="split"/> in row order, or null when unknown.</summary>
    public static IReadOnlyList<string>? RowFiles(string nameOrPath, string split, DatasetOptions options, int rows)
    {
        if (!Directory.Exists(nameOrPath) || options.Labels is not null || options.TestLabels is not null || options.TestData is not null)
            return null;
        var folder = FolderOf(nameOrPath, split, options);
        if (folder is null) return null;
        IReadOnlyList<string> files;
        try
        {
            files = ImageFolderReader.Files(folder, options);
        }
        catch (InvalidDataException)
        {
            return null; // no image files: an IDX or CIFAR folder
        }
        return files.Count == rows ? files.Select(Path.GetFullPath).ToList() : null;
    }

    /// <summary>The folder whose every image is a row of the split, in the order the reader lists them; null for a held-out split.</summary>
    static string? FolderOf(string dir, string split, DatasetOptions options)
    {
        if (Directory.Exists(Path.Combine(dir, "train")) && Directory.Exists(Path.Combine(dir, "test")))
            return split is "train" or "test" ? Path.Combine(dir, split) : null;
        if (split == Datasets.AllSplit) return dir;
        var pile = options.Unlabeled || Directory.EnumerateFiles(dir).Any(ImageFolderReader.IsImage);
        return pile && split == "train" ? dir : null;
    }
}
