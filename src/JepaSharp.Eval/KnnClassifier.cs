using System.Numerics;
using System.Runtime.CompilerServices;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Eval;

/// <summary>Both k-NN predictions for every test row.</summary>
public sealed record KnnPredictions(int[] Weighted, int[] Majority);

/// <summary>k-NN accuracies of one test split.</summary>
public sealed record KnnResult(int K, double Temperature, double WeightedAccuracy, double MajorityAccuracy);

/// <summary>
/// k-nearest-neighbour classification by cosine similarity (features are L2-normalised; an all-zero row stays zero and
/// is equally similar to everything). Each test row takes its k most similar training rows — equal similarities go to
/// the smaller training index — and predicts by two rules: votes weighted by exp(sim / T) (InstDisc/DINO), and a plain
/// majority. Equal scores go to the smaller label. Similarities come from the SGEMM in blocks of test rows; the result
/// is deterministic for a given thread count.
/// </summary>
public sealed unsafe class KnnClassifier
{
    private const long DefaultSimilarityBlockFloats = 1L << 23; // 32 MiB of similarities per block of test rows

    private readonly float[] _train;
    private readonly int[] _trainLabels;

    public int K { get; }
    public double Temperature { get; }
    public int TrainCount { get; }
    public int Dimension { get; }
    public int ClassCount { get; }

    /// <summary>The similarity buffer's size in floats, which sets how many test rows share one SGEMM; tests shrink it to cross block edges.</summary>
    internal long SimilarityBlockFloats { get; init; } = DefaultSimilarityBlockFloats;

    public KnnClassifier(FeatureSet train, KnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.K > train.Count)
            throw new ArgumentOutOfRangeException(nameof(options), options.K, $"k = {options.K} exceeds the {train.Count} training examples");
        K = options.K;
        Temperature = options.Temperature;
        TrainCount = train.Count;
        Dimension = train.Dimension;
        ClassCount = train.ClassCount;
        _train = NormalizedRows(train);
        _trainLabels = train.Labels;
    }

    public KnnPredictions Predict(FeatureSet test)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (test.Dimension != Dimension)
            throw new ArgumentException($"the training features are {Dimension}-dimensional, the test features {test.Dimension}-dimensional", nameof(test));
        var queries = NormalizedRows(test);
        var weighted = new int[test.Count];
        var majority = new int[test.Count];
        var pool = WorkerPool.Shared;
        int blockRows = (int)Math.Clamp(SimilarityBlockFloats / TrainCount, 1, test.Count);
        var similarities = new float[(long)blockRows * TrainCount];
        var neighbourSimilarity = new float[pool.Threads * K];
        var neighbourIndex = new int[pool.Threads * K];
        var votes = new double[pool.Threads * ClassCount * 2];

        fixed (float* train = _train, query = queries, sim = similarities, topSim = neighbourSimilarity)
        fixed (int* trainLabels = _trainLabels, topIndex = neighbourIndex, weightedOut = weighted, majorityOut = majority)
        fixed (double* voteScratch = votes)
        {
            for (int first = 0; first < test.Count; first += blockRows)
            {
                int rows = Math.Min(blockRows, test.Count - first);
                Sgemm.Run(false, true, rows, TrainCount, Dimension, 1f, query + (long)first * Dimension, Dimension, train, Dimension,
                    0f, sim, TrainCount, pool);
                var job = new VoteJob
                {
                    Similarities = sim, TrainCount = TrainCount, TrainLabels = trainLabels, K = K, Classes = ClassCount,
                    InverseTemperature = 1.0 / Temperature, NeighbourSimilarity = topSim, NeighbourIndex = topIndex, Votes = voteScratch,
                    Weighted = weightedOut + first, Majority = majorityOut + first,
                };
                pool.For(rows, ref job);
            }
        }
        return new KnnPredictions(weighted, majority);
    }

    public KnnResult Evaluate(FeatureSet test)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (test.ClassCount != ClassCount)
            throw new ArgumentException($"the training features have {ClassCount} classes, the test features {test.ClassCount}", nameof(test));
        var predictions = Predict(test);
        return new KnnResult(K, Temperature, Metrics.Accuracy(predictions.Weighted, test.Labels), Metrics.Accuracy(predictions.Majority, test.Labels));
    }

    /// <summary>Rows scaled to unit L2 norm (norm accumulated in double); zero rows are left zero.</summary>
    internal static float[] NormalizedRows(FeatureSet features)
    {
        int n = features.Count, d = features.Dimension;
        var source = features.Features;
        var result = new float[source.LongLength];
        for (int i = 0; i < n; i++)
        {
            var row = source.AsSpan(i * d, d);
            double squares = 0;
            foreach (float v in row) squares += (double)v * v;
            if (squares == 0) continue;
            double scale = 1.0 / Math.Sqrt(squares);
            var target = result.AsSpan(i * d, d);
            for (int j = 0; j < d; j++) target[j] = (float)(row[j] * scale);
        }
        return result;
    }

    private struct VoteJob : IParallelJob
    {
        public float* Similarities;
        public int TrainCount, K, Classes;
        public int* TrainLabels;
        public double InverseTemperature;
        public float* NeighbourSimilarity;
        public int* NeighbourIndex;
        public double* Votes;
        public int* Weighted, Majority;

        public void Execute(int begin, int end, int thread)
        {
            float* topSim = NeighbourSimilarity + (long)thread * K;
            int* topIndex = NeighbourIndex + (long)thread * K;
            double* weightedVotes = Votes + (long)thread * Classes * 2;
            double* majorityVotes = weightedVotes + Classes;
            for (int row = begin; row < end; row++)
            {
                SelectTopK(Similarities + (long)row * TrainCount, TrainCount, K, topSim, topIndex);
                for (int c = 0; c < Classes; c++) weightedVotes[c] = majorityVotes[c] = 0;
                for (int n = 0; n < K; n++)
                {
                    int label = TrainLabels[topIndex[n]];
                    weightedVotes[label] += Math.Exp(topSim[n] * InverseTemperature);
                    majorityVotes[label] += 1;
                }
                Weighted[row] = ArgMax(weightedVotes, Classes);
                Majority[row] = ArgMax(majorityVotes, Classes);
            }
        }
    }

    /// <summary>
    /// The k largest of <paramref name="similarities"/>, best first, in a sorted list that new entries join only when
    /// strictly better than the current k-th. Scanning indices in ascending order then settles equal similarities in
    /// favour of the smaller index. Whole vectors below the k-th are skipped with one comparison.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SelectTopK(float* similarities, int count, int k, float* topSim, int* topIndex)
    {
        int filled = 0;
        int j = 0;
        for (; filled < k; j++) Insert(similarities[j], j, k, ref filled, topSim, topIndex);
        float threshold = topSim[k - 1];
        int width = Vector<float>.Count;
        for (; j + width <= count; j += width)
        {
            var block = Vector.Load(similarities + j);
            if (!Vector.GreaterThanAny(block, new Vector<float>(threshold))) continue;
            for (int lane = 0; lane < width; lane++)
            {
                float s = similarities[j + lane];
                if (s > threshold)
                {
                    Insert(s, j + lane, k, ref filled, topSim, topIndex);
                    threshold = topSim[k - 1];
                }
            }
        }
        for (; j < count; j++)
        {
            if (similarities[j] > threshold)
            {
                Insert(similarities[j], j, k, ref filled, topSim, topIndex);
                threshold = topSim[k - 1];
            }
        }
    }

    /// <summary>Inserts (s, index) behind every entry with similarity ≥ s, dropping the last entry when the list is full.</summary>
    private static void Insert(float s, int index, int k, ref int filled, float* topSim, int* topIndex)
    {
        int position = filled < k ? filled++ : k - 1;
        while (position > 0 && topSim[position - 1] < s)
        {
            topSim[position] = topSim[position - 1];
            topIndex[position] = topIndex[position - 1];
            position--;
        }
        topSim[position] = s;
        topIndex[position] = index;
    }

    private static int ArgMax(double* scores, int count)
    {
        int best = 0;
        for (int c = 1; c < count; c++)
            if (scores[c] > scores[best]) best = c;
        return best;
    }
}
