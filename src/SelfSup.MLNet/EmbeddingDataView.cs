using Microsoft.ML;
using Microsoft.ML.Data;

namespace SelfSup.MLNet;

/// <summary>
/// The input data view with the embedding column appended (<see cref="SelfSupEmbeddingTransformer.GetOutputSchema"/>).
/// Rows come in the input's order; it does not shuffle (ML.NET adds its own shuffling where a trainer asks for it).
/// </summary>
internal sealed class EmbeddingDataView : IDataView
{
    readonly IDataView input;
    readonly SelfSupEmbeddingTransformer transformer;

    public EmbeddingDataView(IDataView input, SelfSupEmbeddingTransformer transformer)
    {
        this.input = input;
        this.transformer = transformer;
        Schema = transformer.GetOutputSchema(input.Schema);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        var embeddingIndex = input.Schema.Count; // the appended column
        var inputColumns = needed.Where(i => i < embeddingIndex).Select(i => input.Schema[i]).ToArray();
        // The row order must not depend on rand: the embedding cursor below walks the same rows separately.
        var rows = input.GetRowCursor(inputColumns);
        var images = needed.Contains(embeddingIndex) ? input.GetRowCursor([input.Schema[transformer.InputColumnName]]) : null;
        return new EmbeddingCursor(this, rows, images, transformer);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    /// <summary>
    /// Walks the input rows; the embedding of the current row comes from a buffer that a second cursor over the image
    /// column fills a batch at a time, ahead of this one.
    /// </summary>
    sealed class EmbeddingCursor(EmbeddingDataView view, DataViewRowCursor rows, DataViewRowCursor? images,
        SelfSupEmbeddingTransformer transformer) : DataViewRowCursor
    {
        readonly int embeddingIndex = view.input.Schema.Count;
        readonly EmbeddingBatcher? batcher = images is null ? null : new EmbeddingBatcher(images, transformer);

        public override DataViewSchema Schema => view.Schema;

        public override long Position => rows.Position;

        public override long Batch => rows.Batch;

        public override bool MoveNext() => rows.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => rows.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == embeddingIndex ? batcher is not null : rows.IsColumnActive(view.input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != embeddingIndex) return rows.GetGetter<TValue>(view.input.Schema[column.Index]);
            if (batcher is null)
                throw new InvalidOperationException($"SelfSupEmbed: column '{column.Name}' was not requested when the cursor was made");
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"SelfSupEmbed: column '{column.Name}' holds VBuffer<float>, not {typeof(TValue).Name}");
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                var row = batcher.Row(rows.Position);
                var editor = VBufferEditor.Create(ref value, row.Length);
                row.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                rows.Dispose();
                images?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
