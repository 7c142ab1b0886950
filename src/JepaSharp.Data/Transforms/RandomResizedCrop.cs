namespace JepaSharp.Data.Transforms;

/// <summary>
/// The crop window of torchvision's <c>RandomResizedCrop.get_params</c>: up to 10 draws of an area
/// fraction in [MinScale, MaxScale] and a log-uniform aspect ratio in [MinRatio, MaxRatio]; the
/// first that fits is placed uniformly, otherwise a center crop clamped to the ratio range.
/// </summary>
public sealed record RandomResizedCrop
{
    private const int Attempts = 10;

    public double MinScale { get; }
    public double MaxScale { get; }
    public double MinRatio { get; }
    public double MaxRatio { get; }

    /// <summary>Defaults: I-JEPA's crop_scale (0.3, 1.0) and torchvision's ratio (3/4, 4/3).</summary>
    public RandomResizedCrop(double minScale = 0.3, double maxScale = 1.0, double minRatio = 3.0 / 4.0, double maxRatio = 4.0 / 3.0)
    {
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
            throw new ArgumentException($"RandomResizedCrop scale must satisfy 0 < min <= max <= 1, got ({minScale}, {maxScale})");
        if (!(minRatio > 0 && minRatio <= maxRatio))
            throw new ArgumentException($"RandomResizedCrop ratio must satisfy 0 < min <= max, got ({minRatio}, {maxRatio})");
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
    }

    public CropRect Sample(int height, int width, ref SampleRandom random)
    {
        double area = (double)height * width;
        double logMinRatio = Math.Log(MinRatio), logMaxRatio = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double targetArea = area * random.Uniform(MinScale, MaxScale);
            double aspect = Math.Exp(random.Uniform(logMinRatio, logMaxRatio));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = random.NextInt(height - h + 1);
                int left = random.NextInt(width - w + 1);
                return new CropRect(top, left, h, w);
            }
        }
        return Fallback(height, width);
    }

    private CropRect Fallback(int height, int width)
    {
        double inRatio = (double)width / height;
        int w, h;
        if (inRatio < MinRatio)
        {
            w = width;
            h = (int)Math.Round(w / MinRatio);
        }
        else if (inRatio > MaxRatio)
        {
            h = height;
            w = (int)Math.Round(h * MaxRatio);
        }
        else
        {
            w = width;
            h = height;
        }
        return new CropRect((height - h) / 2, (width - w) / 2, h, w);
    }
}
