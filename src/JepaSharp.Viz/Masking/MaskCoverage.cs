using JepaSharp.Jepa.Masks;

namespace JepaSharp.Viz.Masking;

/// <summary>
/// How often each patch is a target and how often it is context, over many sampled images: the fraction of images in
/// which the patch is in some target list, and in some context list (the truncated lists the model is fed).
/// </summary>
public sealed record MaskCoverage(int GridHeight, int GridWidth, int Images, double[] Target, double[] Context)
{
    /// <summary>Samples batches 0 … <paramref name="batches"/> − 1 of <paramref name="batchSize"/> images.</summary>
    public static MaskCoverage Measure(MultiBlockMaskCollator collator, int batches, int batchSize)
    {
        if (batches < 1 || batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batches), "coverage needs at least one batch of one image");
        var o = collator.Options;
        var target = new double[o.PatchCount];
        var context = new double[o.PatchCount];
        var seen = new int[o.PatchCount];
        int stamp = 0;
        for (int b = 0; b < batches; b++)
        {
            var masks = collator.Sample(batchSize, b);
            for (int image = 0; image < batchSize; image++)
            {
                Count(image, masks.NumPred, masks.TargetIndices, target, seen, ++stamp);
                Count(image, masks.NumEnc, masks.ContextIndices, context, seen, ++stamp);
            }
        }
        int images = batches * batchSize;
        for (int p = 0; p < o.PatchCount; p++)
        {
            target[p] /= images;
            context[p] /= images;
        }
        return new MaskCoverage(o.GridHeight, o.GridWidth, images, target, context);
    }

    private delegate ReadOnlySpan<int> Indices(int mask, int image);

    // A patch in several masks of one image counts once: `seen` remembers the last image pass that counted it.
    private static void Count(int image, int maskCount, Indices indices, double[] counts, int[] seen, int stamp)
    {
        for (int m = 0; m < maskCount; m++)
            foreach (int p in indices(m, image))
                if (seen[p] != stamp)
                {
                    seen[p] = stamp;
                    counts[p]++;
                }
    }
}
