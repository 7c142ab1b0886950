namespace JepaSharp.Jepa.Logging;

/// <summary>
/// The field numbers this library reads and writes, from TensorBoard's
/// <c>tensorboard/compat/proto/event.proto</c> and <c>summary.proto</c>.
/// </summary>
internal static class EventSchema
{
    /// <summary>The <c>file_version</c> of the first event, which TensorBoard checks to accept the file.</summary>
    public const string FileVersion = "brain.Event:2";

    public static class Event
    {
        public const int WallTime = 1;     // double
        public const int Step = 2;         // int64
        public const int FileVersion = 3;  // string
        public const int Summary = 5;      // Summary
    }

    public static class Summary
    {
        public const int Value = 1;        // repeated Summary.Value
    }

    public static class Value
    {
        public const int Tag = 1;          // string
        public const int SimpleValue = 2;  // float
        public const int Image = 4;        // Summary.Image
    }

    public static class Image
    {
        public const int Height = 1;       // int32
        public const int Width = 2;        // int32
        public const int Colorspace = 3;   // int32: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
        public const int EncodedImage = 4; // bytes (PNG here)
    }
}
