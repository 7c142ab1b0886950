using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Schedules;
using Xunit;

namespace JepaSharp.Tests.Config;

public class ScheduleTests
{
    private const int FmnistIterationsPerEpoch = 468;

    /// <summary>Recipe §3.4's learning rate, written out from the formula rather than the implementation.</summary>
    private static double ClosedFormLr(long s, OptimizationConfig o, long wu, long t)
    {
        if (s < wu) return o.StartLr + (double)s / wu * (o.Lr - o.StartLr);
        double p = (double)(s - wu) / Math.Max(1, t - wu);
        return Math.Max(o.FinalLr, o.FinalLr + (o.Lr - o.FinalLr) * 0.5 * (1 + Math.Cos(Math.PI * p)));
    }

    private static double ClosedFormWd(long s, OptimizationConfig o, long t)
    {
        double p = (double)s / t;
        double wd = o.FinalWeightDecay + (o.WeightDecay - o.FinalWeightDecay) * 0.5 * (1 + Math.Cos(Math.PI * p));
        return o.FinalWeightDecay <= o.WeightDecay ? Math.Max(o.FinalWeightDecay, wd) : Math.Min(o.FinalWeightDecay, wd);
    }

    private static double ClosedFormMomentum(long i, OptimizationConfig o, int ipe) =>
        o.Ema.Start + i * (o.Ema.End - o.Ema.Start) / (ipe * o.Epochs * o.IpeScale);

    /// <summary>Relative to the schedule's scale, not the value: near a cosine's end the value is a tiny difference.</summary>
    private static void AssertClose(double expected, double actual, double scale, double tolerance = 1e-15) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * scale, $"expected {expected:R}, got {actual:R}");

    /// <summary>fmnist-small's recipe at the 10 epochs and 1 warm-up epoch the CPython reference values below were computed for.</summary>
    private static TrainConfig Configured(params (string, string)[] overrides)
    {
        var config = ConfigLoader.Load("fmnist-small");
        config.ApplyOverrides([("optimization.epochs", "10"), ("optimization.warmup", "1"), .. overrides]);
        config.Validate();
        return config;
    }

    [Fact]
    public void StepCountsFollowTheOfficialInitOpt()
    {
        var imagenet = new TrainingSchedule(new TrainConfig(), 625);
        Assert.Equal((25_000L, 187_500L, 187_500L, 187_501L),
            (imagenet.WarmupSteps, imagenet.TotalSteps, imagenet.TrainingSteps, imagenet.Momentum.Length));

        var fmnist = new TrainingSchedule(Configured(), FmnistIterationsPerEpoch);
        Assert.Equal((468L, 4_680L, 4_681L), (fmnist.WarmupSteps, fmnist.TotalSteps, fmnist.Momentum.Length));

        var stretched = new TrainingSchedule(Configured(("optimization.ipe_scale", "1.25"), ("optimization.warmup", "0.5")), FmnistIterationsPerEpoch);
        Assert.Equal((234L, 5_850L, 4_680L, 5_851L),
            (stretched.WarmupSteps, stretched.TotalSteps, stretched.TrainingSteps, stretched.Momentum.Length));
    }

    [Theory]
    [InlineData("1.0", "1")]
    [InlineData("1.25", "1")]
    [InlineData("1.0", "0")]
    [InlineData("1.5", "10")]
    public void EveryStepMatchesTheClosedForms(string ipeScale, string warmup)
    {
        var config = Configured(("optimization.ipe_scale", ipeScale), ("optimization.warmup", warmup));
        var o = config.Optimization;
        var schedule = new TrainingSchedule(config, FmnistIterationsPerEpoch);

        for (long s = 1; s <= schedule.TrainingSteps; s++)
        {
            AssertClose(ClosedFormLr(s, o, schedule.WarmupSteps, schedule.TotalSteps), schedule.LearningRate.Step(), o.Lr);
            AssertClose(ClosedFormWd(s, o, schedule.TotalSteps), schedule.WeightDecay.Step(), o.FinalWeightDecay);
            AssertClose(ClosedFormMomentum(s - 1, o, FmnistIterationsPerEpoch), schedule.Momentum.Next(), 1);
        }
        Assert.Equal(schedule.TrainingSteps, schedule.LearningRate.StepsTaken);
        Assert.Equal(schedule.TrainingSteps, schedule.Momentum.StepsTaken);
    }

    [Fact]
    public void FirstIterationUsesStepOneForLrAndWdButIndexZeroForMomentum()
    {
        var config = Configured();
        var schedule = new TrainingSchedule(config, FmnistIterationsPerEpoch);

        Assert.Equal(6e-5 + 1.0 / 468 * (3e-4 - 6e-5), schedule.LearningRate.Step(), 1e-18);
        Assert.NotEqual(config.Optimization.WeightDecay, schedule.WeightDecay.Step());
        Assert.Equal(0.99, schedule.Momentum.Next());
    }

    [Fact]
    public void WarmupBoundaryReachesThePeakExactly()
    {
        var lr = new TrainingSchedule(Configured(), FmnistIterationsPerEpoch).LearningRate;

        Assert.Equal(6e-5 + 467.0 / 468 * (3e-4 - 6e-5), lr.ValueAt(467), 1e-18);
        Assert.Equal(3e-4, lr.ValueAt(468));
        Assert.True(lr.ValueAt(469) < 3e-4);
        Assert.Equal(6e-5, lr.ValueAt(0));
    }

    [Fact]
    public void WithoutWarmupTheFirstStepIsAlreadyOnTheCosine()
    {
        var lr = new WarmupCosineSchedule(startLr: 1e-4, referenceLr: 1e-3, finalLr: 0, warmupSteps: 0, totalSteps: 100);

        Assert.Equal(1e-3, lr.ValueAt(0));
        AssertClose(1e-3 * 0.5 * (1 + Math.Cos(Math.PI * 0.01)), lr.Step(), 1e-3);
    }

    [Fact]
    public void SchedulesEndOnTheirFinalValues()
    {
        var schedule = new TrainingSchedule(Configured(), FmnistIterationsPerEpoch);

        Assert.Equal(1e-6, schedule.LearningRate.ValueAt(schedule.TotalSteps));
        Assert.Equal(0.4, schedule.WeightDecay.ValueAt(schedule.TotalSteps));
        Assert.Equal(0.999, schedule.Momentum.ValueAt(schedule.Momentum.Length - 1));
    }

    [Fact]
    public void StretchedSchedulesStopShortOfTheirFinalValues()
    {
        var schedule = new TrainingSchedule(Configured(("optimization.ipe_scale", "1.25")), FmnistIterationsPerEpoch);
        long last = schedule.TrainingSteps;

        Assert.True(schedule.LearningRate.ValueAt(last) > 1e-6 * 10);
        Assert.True(schedule.WeightDecay.ValueAt(last) < 0.4 - 0.01);
        Assert.True(schedule.Momentum.ValueAt(last - 1) < 0.999 - 1e-4);
    }

    [Fact]
    public void LrNeverFallsBelowItsFloorAndWdNeverPassesItsTarget()
    {
        var lr = new WarmupCosineSchedule(1e-4, 1e-3, 1e-6, 10, 100);
        var rising = new CosineWeightDecaySchedule(0.04, 0.4, 100);
        var falling = new CosineWeightDecaySchedule(0.4, 0.04, 100);

        for (long s = 0; s <= 100; s++)
        {
            Assert.True(lr.ValueAt(s) >= 1e-6);
            Assert.True(rising.ValueAt(s) <= 0.4);
            Assert.True(falling.ValueAt(s) >= 0.04);
        }
        Assert.Equal(0.4, rising.ValueAt(100));
        Assert.Equal(0.04, falling.ValueAt(100));
    }

    /// <summary>Values printed by the official schedulers.py / train.py formulas under CPython (fmnist-small, ipe 468).</summary>
    [Theory]
    [InlineData(1, 6.0512820512820515e-05, 0.0400000405555721)]
    [InlineData(2, 6.102564102564103e-05, 0.04000016222227015)]
    [InlineData(467, 0.0002994871794871795, 0.04877252696649609)]
    [InlineData(468, 0.0003, 0.04880982706687231)]
    [InlineData(469, 0.0002999999584152402, 0.0488472043085309)]
    [InlineData(2340, 0.00017646040256120608, 0.22)]
    [InlineData(4679, 1.0000415847598026e-06, 0.3999999594444279)]
    [InlineData(4680, 1e-06, 0.4)]
    public void MatchesThePythonScheduler(long step, double expectedLr, double expectedWd)
    {
        var schedule = new TrainingSchedule(Configured(), FmnistIterationsPerEpoch);

        AssertClose(expectedLr, schedule.LearningRate.ValueAt(step), expectedLr, 1e-15);
        AssertClose(expectedWd, schedule.WeightDecay.ValueAt(step), expectedWd, 1e-15);
    }

    /// <summary>V-JEPA's stretched schedule (ipe 300, 300 epochs, ipe_scale 1.25), values printed by CPython.</summary>
    [Theory]
    [InlineData(1, 0.00020003541666666668, 0.04000000007018384)]
    [InlineData(11999, 0.0006249645833333333, 0.05001060035946736)]
    [InlineData(12000, 0.000625, 0.0500122533572534)]
    [InlineData(56250, 0.00037117553693900455, 0.22)]
    [InlineData(112499, 1.0000001524376385e-06, 0.39999999992981616)]
    public void MatchesThePythonSchedulerWithIpeScale(long step, double expectedLr, double expectedWd)
    {
        var config = new TrainConfig();
        config.ApplyOverrides([("optimization.lr", "6.25e-4"), ("optimization.ipe_scale", "1.25"), ("optimization.ema", "[0.998, 1.0]")]);
        var schedule = new TrainingSchedule(config, 300);

        Assert.Equal(112_500L, schedule.TotalSteps);
        AssertClose(expectedLr, schedule.LearningRate.ValueAt(step), expectedLr, 1e-15);
        AssertClose(expectedWd, schedule.WeightDecay.ValueAt(step), expectedWd, 1e-15);
        Assert.Equal(0.9999999822222222, schedule.Momentum.ValueAt(112_499), 1e-16);
        Assert.Equal(0.9986666666666667, MomentumSchedule.ValueAt(37_500, 0.998, 1.0, 300, 300, 1.25), 1e-16);
    }

    [Theory]
    [InlineData(0, 0.99)]
    [InlineData(1, 0.990001923076923)]
    [InlineData(1560, 0.993)]
    [InlineData(4679, 0.998998076923077)]
    [InlineData(4680, 0.999)]
    public void MomentumMatchesThePythonGenerator(long index, double expected)
    {
        Assert.Equal(expected, MomentumSchedule.ValueAt(index, 0.99, 0.999, FmnistIterationsPerEpoch, 10, 1.0), 1e-16);
    }

    [Fact]
    public void MomentumRunsOutLikeTheOfficialGenerator()
    {
        var momentum = new MomentumSchedule(0.99, 0.999, iterationsPerEpoch: 3, epochs: 2, ipeScale: 1.0);
        for (int i = 0; i < 7; i++) momentum.Next();

        Assert.Throws<InvalidOperationException>(() => momentum.Next());
    }

    [Fact]
    public void StaticAndInstanceFormsAgree()
    {
        var schedule = new TrainingSchedule(Configured(("optimization.ipe_scale", "1.25")), FmnistIterationsPerEpoch);
        var o = Configured().Optimization;

        foreach (long s in new long[] { 0, 1, 233, 468, 3000, 5850 })
        {
            Assert.Equal(schedule.LearningRate.ValueAt(s),
                WarmupCosineSchedule.ValueAt(s, o.StartLr, o.Lr, o.FinalLr, schedule.WarmupSteps, schedule.TotalSteps));
            Assert.Equal(schedule.WeightDecay.ValueAt(s),
                CosineWeightDecaySchedule.ValueAt(s, o.WeightDecay, o.FinalWeightDecay, schedule.TotalSteps));
            Assert.Equal(schedule.Momentum.ValueAt(s),
                MomentumSchedule.ValueAt(s, o.Ema.Start, o.Ema.End, FmnistIterationsPerEpoch, o.Epochs, 1.25));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(467)]
    [InlineData(468 * 3)]
    [InlineData(4_000)]
    public void RestoringSavedStateEqualsContinuing(long iterationsDone)
    {
        var config = Configured(("optimization.ipe_scale", "1.25"));
        var continuing = new TrainingSchedule(config, FmnistIterationsPerEpoch);
        for (long i = 0; i < iterationsDone; i++)
        {
            continuing.LearningRate.Step();
            continuing.WeightDecay.Step();
            continuing.Momentum.Next();
        }

        var resumed = new TrainingSchedule(config, FmnistIterationsPerEpoch);
        resumed.Restore(continuing.LearningRate.StepsTaken);

        for (long i = iterationsDone; i < continuing.TrainingSteps; i++)
        {
            Assert.Equal(continuing.LearningRate.Step(), resumed.LearningRate.Step());
            Assert.Equal(continuing.WeightDecay.Step(), resumed.WeightDecay.Step());
            Assert.Equal(continuing.Momentum.Next(), resumed.Momentum.Next());
        }
        Assert.Equal(continuing.Momentum.StepsTaken, resumed.Momentum.StepsTaken);
    }

    [Fact]
    public void RestoreRejectsImpossibleStates()
    {
        var schedule = new TrainingSchedule(Configured(), FmnistIterationsPerEpoch);

        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Restore(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Momentum.Restore(schedule.Momentum.Length + 1));
    }
}
