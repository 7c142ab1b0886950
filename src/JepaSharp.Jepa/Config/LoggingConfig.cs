namespace JepaSharp.Jepa.Config;

/// <summary>The <c>logging</c> section: where a run writes and how often.</summary>
public sealed class LoggingConfig : ConfigSection
{
    /// <summary>Run directory for logs, checkpoints and the resolved config.</summary>
    public string Folder { get; set; } = "runs/jepa";

    /// <summary>File-name prefix of the run's CSV log and checkpoints (official: <c>jepa</c>).</summary>
    public string WriteTag { get; set; } = "jepa";

    // JepaSharp keys (not in the official schema).

    /// <summary>Checkpoint every N optimizer steps; null = at the end of every epoch (the official cadence).</summary>
    public int? CheckpointEvery { get; set; }

    /// <summary>Print running statistics every N steps (official log_freq: 10).</summary>
    public int LogEvery { get; set; } = 10;

    /// <summary>Run the representation diagnostics every N steps; null = never (the official code has none).</summary>
    public int? EvalEvery { get; set; }
}
