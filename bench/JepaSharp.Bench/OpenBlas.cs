using System.Runtime.InteropServices;

namespace JepaSharp.Bench;

/// <summary>
/// Debian's libopenblas, loaded at run time as a GEMM yardstick (never a dependency of the library).
/// OPENBLAS_CORETYPE is read when the library loads, so each setting needs its own process.
/// </summary>
public static unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private static delegate* unmanaged<int, void> _setThreads;
    private static delegate* unmanaged<sbyte*> _getCorename;

    public static bool TryLoad(out string? error)
    {
        error = null;
        if (_sgemm != null) return true;
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so" })
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(handle, "cblas_sgemm");
            _setThreads = NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var st) ? (delegate* unmanaged<int, void>)st : null;
            _getCorename = NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var cn) ? (delegate* unmanaged<sbyte*>)cn : null;
            return true;
        }
        error = "libopenblas.so.0 not found (apt-get install libopenblas0)";
        return false;
    }

    public static string CoreName => _getCorename == null ? "unknown" : new string(_getCorename());

    public static void SetThreads(int n)
    {
        if (_setThreads != null) _setThreads(n);
    }

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
