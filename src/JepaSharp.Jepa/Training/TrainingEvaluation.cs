using JepaSharp.Jepa.Models;

namespace JepaSharp.Jepa.Training;

/// <summary>
/// A cheap look at the representation while a run trains (the evaluation layer implements it; the trainer only
/// records the figures and keeps the checkpoint with the best <see cref="TrainingEvaluation.Score"/>).
/// </summary>
public interface ITrainingEvaluator
{
    /// <summary>Evaluates the model as it is after <paramref name="step"/> steps; must not change it.</summary>
    TrainingEvaluation Evaluate(IJepaModel model, long step);
}

/// <summary>
/// Named figures of one evaluation, the one (higher is better) that picks the best checkpoint, and text labels that
/// say how it was measured (e.g. which encoder).
/// </summary>
public sealed record TrainingEvaluation(string ScoreName, double Score, IReadOnlyList<(string Name, double Value)> Figures,
    IReadOnlyList<(string Name, string Value)>? Labels = null);
