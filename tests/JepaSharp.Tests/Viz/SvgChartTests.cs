using System.Xml.Linq;
using JepaSharp.Viz.Charts;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class SvgChartTests
{
    private static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    private static XDocument Parse(string svg)
    {
        var document = XDocument.Parse(svg);
        Assert.Equal(Ns + "svg", document.Root!.Name);
        return document;
    }

    [Fact]
    public void LinearTicksAreNiceEvenlySpacedAndCoverTheData()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 2000; trial++)
        {
            double scale = Math.Pow(10, random.Next(-9, 10));
            double a = (random.NextDouble() * 2 - 1) * scale, b = a + random.NextDouble() * scale * Math.Pow(10, -random.Next(0, 4));
            var ticks = NiceTicks.Linear(a, b);
            Assert.True(ticks[0] <= a && ticks[^1] >= b, $"ticks {ticks[0]}..{ticks[^1]} miss [{a}, {b}]");
            Assert.InRange(ticks.Length, 3, 12);
            double step = ticks[1] - ticks[0];
            double mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
            Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0, 10.0 });
            for (int i = 1; i < ticks.Length; i++) Assert.Equal(step, ticks[i] - ticks[i - 1], step * 1e-6);
            var labels = NiceTicks.Labels(ticks, AxisScale.Linear);
            Assert.Equal(labels.Length, labels.Distinct().Count());
        }
        Assert.Equal([0, 0.1, 0.2, 0.3, 0.4, 0.5], NiceTicks.Linear(0, 0.44));
        Assert.Equal(["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"], NiceTicks.Labels(NiceTicks.Linear(0, 0.44), AxisScale.Linear));
        Assert.Equal([-60, -40, -20, 0, 20, 40, 60], NiceTicks.Linear(-55, 55));
        Assert.Equal(["1e-4", "2e-4", "3e-4"], NiceTicks.Labels([1e-4, 2e-4, 3e-4], AxisScale.Linear));
    }

    [Fact]
    public void LogTicksAreDecadesThatCoverTheData()
    {
        Assert.Equal([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], NiceTicks.Log(0.03, 0.5));
        var wide = NiceTicks.Log(3e-7, 2e4);
        Assert.True(wide[0] <= 3e-7 && wide[^1] >= 2e4);
        Assert.All(wide, t => Assert.Equal(Math.Round(Math.Log10(t)), Math.Log10(t), 9));
        Assert.InRange(wide.Length, 3, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => NiceTicks.Log(0, 1));
    }

    [Fact]
    public void EveryChartKindIsWellFormedXmlAndEscapesText()
    {
        const string nasty = "a<b & \"c\" > 'd'";
        var options = new ChartOptions(nasty, nasty, nasty) { Subtitle = nasty };
        var charts = new[]
        {
            LineChart.Render(options, [new Series(nasty, [(0, 1), (1, 3), (2, 2)], "#1f77b4")]),
            HistogramChart.Render(options, [new Sample(nasty, [1, 2, 2, 3, 3, 3], "#1f77b4"), new Sample("b", [2, 4], "#ff7f0e")]),
            BarChart.Render(options, [nasty, "y"], [new BarSeries(nasty, [1, 2], "#2ca02c")]),
            ScatterChart.Render(options, [0, 1, 2], [2, 1, 0], [0, 1, 0], [nasty, "other"]),
            HeatmapChart.Render(options, new double[,] { { 1, 2 }, { 3, double.NaN } }, new HeatmapOptions((0, 2), (0, 2)) { ColorLabel = nasty, Markers = [(1, 1, nasty)] }),
        };
        foreach (var svg in charts)
        {
            var document = Parse(svg);
            Assert.Contains(document.Descendants(Ns + "text"), t => t.Value == nasty);
        }
        var grid = Parse(ChartGrid.Compose(charts, 2, 880, 380));
        Assert.Equal(charts.Length, grid.Root!.Elements(Ns + "svg").Count());
        Assert.Equal("1760", grid.Root.Attribute("width")!.Value);
    }

    [Fact]
    public void NonFinitePointsAreSkippedNotDrawn()
    {
        string svg = LineChart.Render(new ChartOptions("t"), [new Series("s", [(1, 1), (2, double.NaN), (3, double.PositiveInfinity), (4, 2), (5, 3), (double.NaN, 4)], "#000")]);
        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
        var document = Parse(svg);
        // The line breaks at the gap: a lone first point (a dot) and one polyline through the two points after it.
        var polyline = Assert.Single(document.Descendants(Ns + "polyline"));
        Assert.Equal(2, polyline.Attribute("points")!.Value.Split(' ').Length);
        Assert.Single(document.Descendants(Ns + "circle"));

        string log = LineChart.Render(new ChartOptions("t") { YScale = AxisScale.Log }, [new Series("s", [(1, 1), (2, 0), (3, -1), (4, 10)], "#000")]);
        Assert.Empty(Parse(log).Descendants(Ns + "polyline"));
        Assert.Equal(2, Parse(log).Descendants(Ns + "circle").Count());

        string scatter = ScatterChart.Render(new ChartOptions("t"), [0, double.NaN, 2, 3], [0, 1, double.NegativeInfinity, 3], [0, 1, 1, 0], ["a", "b"]);
        Assert.DoesNotContain("NaN", scatter);
        Assert.Equal(2, Parse(scatter).Descendants(Ns + "circle").Count(c => c.Attribute("fill-opacity") != null));

        string empty = LineChart.Render(new ChartOptions("t"), [new Series("s", [(1, double.NaN)], "#000")]);
        Assert.Contains("no data", empty);
        Parse(empty);
    }

    [Fact]
    public void HistogramCountsEveryFiniteValueOnceAndReportsTheRest()
    {
        var h = Histogram.Of([0, 0.5, 1, 1.5, 2, double.NaN, double.PositiveInfinity, 2, 1.99], 4);
        Assert.Equal([0, 0.5, 1, 1.5, 2], h.Edges);
        Assert.Equal([1L, 1, 1, 4], h.Counts);
        Assert.Equal(2, h.Skipped);
        Assert.Equal([0L, 0, 2, 0], Histogram.Of([5, 5], 4, (4, 6)).Counts);
    }

    [Fact]
    public void AxesFitOnlyPlaceableValues()
    {
        var linear = Axis.Fit([double.NaN, 3, 7, double.NegativeInfinity]);
        Assert.True(linear.Min <= 3 && linear.Max >= 7 && linear.Max <= 8);
        var log = Axis.Fit([-5, 0, 0.2, 30], AxisScale.Log);
        Assert.Equal(0.1, log.Min, 12);
        Assert.Equal(100, log.Max, 9);
    }
}
