using JepaSharp.Data.Datasets;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Tests.Viz;

/// <summary>A small random-init model of the fmnist-small architecture family and a synthetic labelled 28×28 dataset for the image-figure tests.</summary>
internal static class VizTestData
{
    public static TrainedModel SmallModel()
    {
        var config = ConfigLoader.Load("fmnist-small");
        config.ApplyOverrides([("meta.enc_depth", "2"), ("meta.enc_embed_dim", "48"), ("meta.pred_depth", "1"), ("meta.pred_emb_dim", "24")]);
        return TrainedModel.RandomInit(config);
    }

    /// <summary>Bright rectangles on black, the class being which quarter of the image the rectangle sits in.</summary>
    public sealed class Rectangles(int count) : ImageDataset
    {
        public override string Name => "synthetic rectangles";
        public override int Count => count;
        public override int Channels => 1;
        public override int Height => 28;
        public override int Width => 28;
        public override IReadOnlyList<string> ClassNames => ["TOP LEFT", "TOP RIGHT", "BOTTOM LEFT", "BOTTOM RIGHT"];
        public override int Label(int index) => index % 4;

        protected override void ReadValidated(int index, Span<byte> hwc)
        {
            var rng = new Random(index);
            hwc.Clear();
            int label = Label(index), top = label / 2 * 14 + rng.Next(4), left = label % 2 * 14 + rng.Next(4);
            int h = 6 + rng.Next(5), w = 6 + rng.Next(5);
            byte value = (byte)(150 + rng.Next(100));
            for (int y = top; y < top + h; y++)
                for (int x = left; x < left + w; x++) hwc[y * 28 + x] = value;
        }
    }
}
