using System.Runtime.InteropServices;
using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Engine.Threading;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Models;
using JepaSharp.Nn;

namespace JepaSharp.Jepa.Training;

/// <summary>The objective's values from a data-parallel pass (the gradients are in the model's sets).</summary>
public readonly record struct ObjectiveValues(double Total, double Prediction, double Regularizer);

/// <summary>
/// The I-JEPA objective and its gradients with each thread of the pool working through its own contiguous slice of the
/// batch: its own graph, a replica of the context encoder and predictor with its own gradient buffers, every op run on
/// that thread alone. The threads meet three times a step instead of at every op: after the encoders (the
/// variance-covariance terms need all context tokens at once), after the backward passes, and to sum the gradients.
/// Every activation equals the batch-wide pass's bit for bit (each image's rows see the same arithmetic); the loss is
/// the slices' means weighted by their share of the batch, and each weight's gradient is the sum of the slices'
/// gradients, so both differ from the batch-wide pass only by rounding. The split depends on the thread count alone.
/// </summary>
public sealed unsafe class DataParallelObjective : IDisposable
{
    private readonly IJepaModel _model;
    private readonly WorkerPool _pool;
    private readonly GradientReplica[] _replicas; // slice 0 uses the model itself
    private readonly Graph[] _graphs;
    private readonly Graph _regularizerGraph = new();
    private readonly Slice[] _slices;
    private GCHandle _self;

    // Valid during Run.
    private float* _images;
    private int _imageFloats, _batch, _channels, _height, _width;
    private MaskBatch _masks = null!;
    private RegressionLoss _loss;
    private float _beta, _targetEps;
    private int _targetBlocks;
    private RegularizerWeights _regularizer;
    private float* _regularizerGradient;

    private sealed class Slice
    {
        public int First, Count;
        public int[] Context = [], Targets = [];
        public Tensor Features = null!, Tokens = null!; // targets and context-encoder output
        public double Prediction;
    }

    /// <summary>The most memory the replicas' gradient buffers may take: one copy of the trained weights per extra thread.</summary>
    public const long ReplicaBudgetBytes = 1L << 30;

    /// <summary>
    /// Whether the batch-wide objective can be split: more than one thread, no more threads than images, one context
    /// mask, no invariance term, and the extra gradient buffers for <paramref name="trainedFloats"/> weights within
    /// <see cref="ReplicaBudgetBytes"/> (a large model on many threads trains batch-wide instead).
    /// </summary>
    public static bool Supports(WorkerPool pool, int batch, int contextMasks, RegularizerWeights regularizer, long trainedFloats)
        => pool.Threads > 1 && batch >= pool.Threads && contextMasks == 1 && !regularizer.InvarianceActive
            && (pool.Threads - 1) * trainedFloats * sizeof(float) <= ReplicaBudgetBytes;

    private static long TrainedFloats(IJepaModel model) => model.EncoderParameters.Length + model.PredictorParameters.Length;

    /// <summary><see cref="Supports(WorkerPool, int, int, RegularizerWeights, long)"/> for <paramref name="model"/>'s weights.</summary>
    public static bool Supports(WorkerPool pool, int batch, int contextMasks, RegularizerWeights regularizer, IJepaModel model)
        => Supports(pool, batch, contextMasks, regularizer, TrainedFloats(model));

    public DataParallelObjective(IJepaModel model, WorkerPool? pool = null)
    {
        _model = model;
        _pool = pool ?? WorkerPool.Shared;
        int parts = _pool.Threads;
        _graphs = new Graph[parts];
        _slices = new Slice[parts];
        _replicas = new GradientReplica[parts];
        for (int p = 0; p < parts; p++)
        {
            _graphs[p] = new Graph(16L << 20) { RecycleGradients = true };
            _slices[p] = new Slice();
            if (p > 0) _replicas[p] = model.CreateGradientReplica();
        }
        _self = GCHandle.Alloc(this);
    }

    /// <summary>The graph of the first slice (for an op profile of one thread's share).</summary>
    public Graph FirstGraph => _graphs[0];

    /// <summary>The largest activation memory a step has held, summed over the slices' graphs.</summary>
    public long ActivationPeakBytes => _graphs.Sum(g => g.Arena.PeakBytes) + _regularizerGraph.Arena.PeakBytes;

    /// <summary>
    /// Computes the objective of <see cref="IJepaModel.Objective"/> for <paramref name="images"/> [B, C, H, W] and adds its
    /// gradients to the model's encoder and predictor gradient buffers (which the caller zeroes; the replicas' are zeroed here).
    /// </summary>
    public ObjectiveValues Run(ReadOnlySpan<float> images, Shape imageShape, MaskBatch masks, RegressionLoss loss, float smoothL1Beta,
        float targetNormEps, RegularizerWeights regularizer, int targetBlocks)
    {
        _batch = imageShape[0];
        if (!Supports(_pool, _batch, masks.NumEnc, regularizer, _model))
            throw new InvalidOperationException($"data-parallel objective: {_pool.Threads} threads, batch {_batch}, {masks.NumEnc} context masks, views {regularizer.Views}");
        (_channels, _height, _width) = (imageShape[1], imageShape[2], imageShape[3]);
        _imageFloats = _channels * _height * _width;
        (_masks, _loss, _beta, _targetEps, _regularizer, _targetBlocks) = (masks, loss, smoothL1Beta, targetNormEps, regularizer, targetBlocks);
        SplitMasks();
        fixed (float* pixels = images)
        {
            _images = pixels;
            RunPhase(Phase.Encode);
            double penalty = regularizer.VarianceCovarianceActive ? Regularize() : double.NaN;
            RunPhase(Phase.PredictAndBackward);
            _images = null;
            SumGradients();
            double prediction = 0;
            foreach (var s in _slices) prediction += s.Prediction * s.Count / _batch;
            return new ObjectiveValues(double.IsNaN(penalty) ? prediction : prediction + penalty, prediction, penalty);
        }
    }

    private void SplitMasks()
    {
        int keepEnc = _masks.KeepEnc, keepPred = _masks.KeepPred, targets = _masks.NumPred;
        for (int p = 0; p < _slices.Length; p++)
        {
            var s = _slices[p];
            (s.First, int end) = WorkerPool.Slice(_batch, p, _slices.Length);
            s.Count = end - s.First;
            if (s.Context.Length != s.Count * keepEnc) s.Context = new int[s.Count * keepEnc];
            if (s.Targets.Length != targets * s.Count * keepPred) s.Targets = new int[targets * s.Count * keepPred];
            _masks.Context.AsSpan(s.First * keepEnc, s.Count * keepEnc).CopyTo(s.Context);
            // Target row t·B + i of the batch becomes row t·count + (i − first) of the slice, keeping the official pairing.
            for (int t = 0; t < targets; t++)
                _masks.Targets.AsSpan((t * _batch + s.First) * keepPred, s.Count * keepPred).CopyTo(s.Targets.AsSpan(t * s.Count * keepPred));
        }
    }

    private enum Phase { Encode, PredictAndBackward, SumGradients }

    private void RunPhase(Phase phase)
    {
        var job = new PhaseJob { Self = GCHandle.ToIntPtr(_self), Phase = phase, Parts = _slices.Length };
        _pool.For(_slices.Length, ref job);
    }

    private struct PhaseJob : IParallelJob
    {
        public nint Self;
        public Phase Phase;
        public int Parts;

        public void Execute(int begin, int end, int part)
        {
            var self = (DataParallelObjective)GCHandle.FromIntPtr(Self).Target!;
            for (int p = begin; p < end; p++)
            {
                if (Phase == Phase.Encode) self.Encode(p);
                else if (Phase == Phase.PredictAndBackward) self.PredictAndBackward(p);
                else self.SumGradients(p, Parts);
            }
        }
    }

    private VisionTransformer Encoder(int p) => p == 0 ? _model.Encoder : _replicas[p].Encoder;

    private Predictor Predictor(int p) => p == 0 ? _model.Predictor : _replicas[p].Predictor;

    private void Encode(int p)
    {
        var s = _slices[p];
        var graph = _graphs[p];
        graph.Reset();
        if (p > 0)
        {
            _replicas[p].EncoderGradients.ZeroGrad();
            _replicas[p].PredictorGradients.ZeroGrad();
        }
        var images = graph.Input(new ReadOnlySpan<float>(_images + (long)s.First * _imageFloats, s.Count * _imageFloats), new Shape(s.Count, _channels, _height, _width));
        s.Features = _model.TargetFeatures(images, s.Targets, _masks.KeepPred, _targetEps, _targetBlocks);
        s.Tokens = Encoder(p).Forward(images, s.Context, _masks.KeepEnc);
    }

    /// <summary>The variance-covariance terms over every slice's context tokens, with their gradient per token in <see cref="_regularizerGradient"/>.</summary>
    private double Regularize()
    {
        var shape = _slices[0].Tokens.Shape;
        long rowFloats = (long)shape[1] * shape[2];
        var graph = _regularizerGraph;
        graph.Reset();
        var all = graph.NewInput(new Shape(_batch, shape[1], shape[2]), requiresGrad: true);
        foreach (var s in _slices)
            Buffer.MemoryCopy(s.Tokens.Data, all.Data + s.First * rowFloats, s.Count * rowFloats * sizeof(float), s.Count * rowFloats * sizeof(float));
        var penalty = Ops.VarianceCovariance(_regularizer.Pooled ? Ops.MeanTokens(all) : all, 1f, _regularizer.Variance, _regularizer.Covariance);
        graph.Backward(penalty);
        _regularizerGradient = all.Grad;
        return penalty.Span[0];
    }

    private void PredictAndBackward(int p)
    {
        var s = _slices[p];
        var graph = _graphs[p];
        var prediction = Predictor(p).Forward(s.Tokens, s.Context, s.Targets, _masks.KeepPred);
        var loss = Ops.Loss(_loss, prediction, s.Features, _beta);
        s.Prediction = loss.Span[0];
        var total = Ops.Scale(loss, (float)s.Count / _batch);
        if (_regularizer.VarianceCovarianceActive)
        {
            // Σ z∘G with G = ∂penalty/∂z held fixed: adds exactly G to the context tokens' gradient.
            long rowFloats = (long)s.Tokens.Shape[1] * s.Tokens.Shape[2];
            var gradient = graph.Input(new ReadOnlySpan<float>(_regularizerGradient + s.First * rowFloats, checked((int)(s.Count * rowFloats))), s.Tokens.Shape);
            total = Ops.Add(total, Ops.Sum(Ops.Mul(s.Tokens, gradient)));
        }
        graph.Backward(total);
    }

    private void SumGradients()
    {
        if (_slices.Length > 1) RunPhase(Phase.SumGradients);
    }

    /// <summary>Adds every replica's gradients into the model's, over part <paramref name="p"/> of the flat buffers (fixed order: replica 1, 2, …).</summary>
    private void SumGradients(int p, int parts)
    {
        Sum(_model.EncoderParameters, r => r.EncoderGradients, p, parts);
        Sum(_model.PredictorParameters, r => r.PredictorGradients, p, parts);
    }

    private void Sum(ParameterSet into, Func<GradientReplica, ParameterSet> from, int p, int parts)
    {
        // Whole 16-float groups per part: the sets' lengths are multiples of 16.
        var (begin, end) = WorkerPool.Slice((int)(into.Grads.Length / 16), p, parts);
        long first = begin * 16L, count = (end - begin) * 16L;
        for (int r = 1; r < _replicas.Length; r++)
            ElementwiseKernels.Add(into.Grads.Pointer + first, into.Grads.Pointer + first, from(_replicas[r]).Grads.Pointer + first, count);
    }

    public void Dispose()
    {
        if (_self.IsAllocated) _self.Free();
        foreach (var g in _graphs) g.Dispose();
        _regularizerGraph.Dispose();
        for (int r = 1; r < _replicas.Length; r++) _replicas[r].Dispose();
    }
}
