using System.Diagnostics;

namespace JepaSharp.Tests.Viz;

/// <summary>
/// Decodes our PNG and GIF files with code that is not ours: Debian's python3, PNG through its zlib module (filters
/// undone here in a few lines of Python) and GIF through Pillow. Each returns raw RGB rows so tests compare the exact pixels.
/// </summary>
internal static class IndependentDecoder
{
    private const string Python = "/usr/bin/python3";

    private const string PngScript = """
        import sys, struct, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
        pos, idat, header = 8, b'', None
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            assert zlib.crc32(kind + body) == struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])[0], 'crc'
            if kind == b'IHDR': header = struct.unpack('>IIBBBBB', body)
            if kind == b'IDAT': idat += body
            pos += 12 + length
        width, height, depth, colour = header[:4]
        assert depth == 8 and header[6] == 0, 'only 8-bit non-interlaced'
        bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        raw, stride, out, prev = zlib.decompress(idat), width * bpp, bytearray(), bytearray(width * bpp)
        for y in range(height):
            f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            out += line; prev = line
        sys.stdout.write('%d %d %d\n' % (width, height, bpp))
        sys.stdout.write(out.hex() + '\n')
        """;

    private const string GifScript = """
        import sys
        from PIL import Image
        image = Image.open(sys.argv[1])
        sys.stdout.write('%d %d %d %s\n' % (image.size[0], image.size[1], image.n_frames, image.info.get('loop')))
        for i in range(image.n_frames):
            image.seek(i)
            sys.stdout.write('%d %s\n' % (image.info.get('duration', -1), image.convert('RGB').tobytes().hex()))
        """;

    public static (int Width, int Height, int Channels, byte[] Pixels) Png(string path)
    {
        var lines = Run(PngScript, path);
        var head = lines[0].Split(' ').Select(int.Parse).ToArray();
        return (head[0], head[1], head[2], Convert.FromHexString(lines[1]));
    }

    public static (int Width, int Height, string? Loop, List<(int DurationMs, byte[] Rgb)> Frames) Gif(string path)
    {
        var lines = Run(GifScript, path);
        var head = lines[0].Split(' ');
        var frames = lines.Skip(1).Select(line => line.Split(' ')).Select(p => (int.Parse(p[0]), Convert.FromHexString(p[1]))).ToList();
        return (int.Parse(head[0]), int.Parse(head[1]), head[3], frames);
    }

    private static string[] Run(string script, string path)
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing: the independent image decoder needs Debian's python3");
        string scriptPath = Path.Combine(Path.GetTempPath(), $"jepa-decode-{Guid.NewGuid():N}.py");
        File.WriteAllText(scriptPath, script);
        try
        {
            var start = new ProcessStartInfo(Python, [scriptPath, path]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"python decoder failed on {path}: {stderr}");
            return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            File.Delete(scriptPath);
        }
    }
}
