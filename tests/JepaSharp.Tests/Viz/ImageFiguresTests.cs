using System.Text.Json;
using JepaSharp.Viz;
using JepaSharp.Viz.Predictions;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class ImageFiguresTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("jepa-image-figures-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static ImageFigureOptions Small(int seed) => new()
    {
        Seed = seed, Scale = 4, MaskImages = 4, CoverageBatches = 4, CoverageBatchSize = 8, AnimationImages = 2, AnimationFrames = 3,
        AttentionImages = 2, GalleryImages = 40, PcaImages = 2, PcaGridImages = 4, QueryImages = 2, Neighbors = 3, PredictionImages = 2,
        DecoderHidden = 16, DecoderTraining = new DecoderTraining { Steps = 20, BatchSize = 64 },
    };

    [Fact]
    public void StandardSetWritesEveryFigureDecodableAndIndexed()
    {
        using var model = VizTestData.SmallModel();
        var figures = ImageFigures.RenderAll(model, new VizTestData.Rectangles(60), folder, Small(0));

        string[] expected =
        [
            "masks_grid.png", "masks_coverage.png", "masks_faithful_vs_fixed.png", "masks_animation.gif", "attention_layers_heads.png",
            "attention_layer2_heads.png", "attention_rollout.png", "attention_from_patch.png", "attention_early_middle_late.png", "attention_entropy.png",
            "pca_images.png", "pca_grid.png", "neighbors.png", "predictions_error.png", "predictions_decoded.png",
        ];
        Assert.Equal(expected, figures.Select(f => f.File));
        Assert.Equal(["Masking", "Attention", "Representations", "Predictions"], figures.Select(f => f.Section).Distinct());
        var manifest = FigureManifest.Open(folder).Figures;
        Assert.Equal(expected, manifest.Select(f => f.File));
        Assert.All(manifest, f => Assert.False(string.IsNullOrWhiteSpace(f.Caption)));
        foreach (string png in expected.Where(f => f.EndsWith(".png")).Take(3))
        {
            var decoded = IndependentDecoder.Png(Path.Combine(folder, png));
            Assert.Equal(JepaSharp.Data.Images.Png.Load(Path.Combine(folder, png)).Pixels, decoded.Pixels);
        }
        Assert.Equal(3, IndependentDecoder.Gif(Path.Combine(folder, "masks_animation.gif")).Frames.Count);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp-*"));
    }

    [Fact]
    public void PcaAndNeighbourFiguresAreDeterministicForASeed()
    {
        using var model = VizTestData.SmallModel();
        var data = new VizTestData.Rectangles(60);
        string[] Render(int seed, string name)
        {
            string outDir = Path.Combine(folder, name);
            var figures = new ImageFigures(model, data, outDir, Small(seed));
            figures.Representations();
            return figures.Written.Select(f => Convert.ToHexString(File.ReadAllBytes(Path.Combine(outDir, f.File)))).ToArray();
        }
        var first = Render(7, "a");
        Assert.Equal(first, Render(7, "b"));
        Assert.NotEqual(first, Render(8, "c"));
    }

    [Fact]
    public void AModelOfAnotherChannelCountIsRejectedByName()
    {
        using var model = VizTestData.SmallModel();
        var error = Assert.Throws<ArgumentException>(() => ModelImages.Load(model, new ThreeChannel(), [0]));
        Assert.Contains("3-channel", error.Message);
    }

    private sealed class ThreeChannel : JepaSharp.Data.Datasets.ImageDataset
    {
        public override string Name => "colour images";
        public override int Count => 1;
        public override int Channels => 3;
        public override int Height => 28;
        public override int Width => 28;
        public override int Label(int index) => -1;
        protected override void ReadValidated(int index, Span<byte> hwc) => hwc.Clear();
    }
}
