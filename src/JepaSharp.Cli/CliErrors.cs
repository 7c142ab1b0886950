namespace JepaSharp.Cli;

/// <summary>Turns expected failures (bad input, missing files) into one clear line and exit code 1, never a stack dump.</summary>
public static class CliErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException
                                      or UnauthorizedAccessException or FormatException or PlatformNotSupportedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
