namespace JepaSharp.Viz.Predictions;

/// <summary>The pixels of one patch of a planar (CHW) square image as a vector [C, p, p], and back.</summary>
public static class PatchPixels
{
    public static void Extract(ReadOnlySpan<float> chw, int channels, int size, int patchSize, int patch, Span<float> vector)
    {
        var offsets = Offsets(chw.Length, vector.Length, channels, size, patchSize, patch);
        for (int v = 0; v < offsets.Length; v++) vector[v] = chw[offsets[v]];
    }

    public static void Place(Span<float> chw, int channels, int size, int patchSize, int patch, ReadOnlySpan<float> vector)
    {
        var offsets = Offsets(chw.Length, vector.Length, channels, size, patchSize, patch);
        for (int v = 0; v < offsets.Length; v++) chw[offsets[v]] = vector[v];
    }

    /// <summary>The image offset of each patch-vector element.</summary>
    private static int[] Offsets(int imageLength, int vectorLength, int channels, int size, int patchSize, int patch)
    {
        int grid = size / patchSize;
        if (imageLength != channels * size * size || vectorLength != channels * patchSize * patchSize || (uint)patch >= (uint)(grid * grid))
            throw new ArgumentException($"patch {patch}: {imageLength} image and {vectorLength} patch values do not fit {channels}x{size}x{size} with {patchSize}-pixel patches");
        int top = patch / grid * patchSize, left = patch % grid * patchSize;
        var offsets = new int[vectorLength];
        for (int c = 0, v = 0; c < channels; c++)
            for (int dy = 0; dy < patchSize; dy++)
                for (int dx = 0; dx < patchSize; dx++) offsets[v++] = (c * size + top + dy) * size + left + dx;
        return offsets;
    }
}
