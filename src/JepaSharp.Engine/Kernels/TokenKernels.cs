using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels;

// Token-row movement for masking and pooling, over activations laid out [B, T, C] (C innermost).
//   Gather:  y[r, k, :] = x[r mod B, idx[r, k], :]     y [R, K, C], idx [R, K], R a multiple of B
//   Scatter: y[b, idx[b, k], :] += x[b, k, :]           (the adjoint of Gather; also its backward)
//   Mean:    y[b, :] = (1/T)·Σ_t x[b, t, :]
//   Im2col:  cols[b·N + n, c·p·p + ky·p + kx] = img[b, c, gy·p + ky, gx·p + kx], n = gy·(W/p) + gx
// None saves anything for backward beyond the index list.
public static unsafe class TokenKernels
{
    public static void Gather(float* y, float* x, int* idx, int rowsOut, int batch, int t, int k, int c)
    {
        for (int r = 0; r < rowsOut; r++)
        {
            float* src = x + (long)(r % batch) * t * c;
            for (int j = 0; j < k; j++)
                new ReadOnlySpan<float>(src + (long)idx[r * k + j] * c, c).CopyTo(new Span<float>(y + ((long)r * k + j) * c, c));
        }
    }

    /// <summary>Adds each gathered row back to where it came from (duplicates accumulate).</summary>
    public static void ScatterAdd(float* dx, float* dy, int* idx, int rowsOut, int batch, int t, int k, int c)
    {
        for (int r = 0; r < rowsOut; r++)
        {
            float* dst = dx + (long)(r % batch) * t * c;
            for (int j = 0; j < k; j++)
                ElementwiseKernels.AddScaled(dst + (long)idx[r * k + j] * c, dy + ((long)r * k + j) * c, 1f, c);
        }
    }

    public static void MeanTokens(float* y, float* x, int b, int t, int c)
    {
        new Span<float>(y, b * c).Clear();
        for (int i = 0; i < b; i++)
            ElementwiseKernels.ColumnSum(y + (long)i * c, x + (long)i * t * c, t, c);
        ElementwiseKernels.Scale(y, y, 1f / t, b * c);
    }

    public static void MeanTokensBackward(float* dx, float* dy, int b, int t, int c)
    {
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++)
                ElementwiseKernels.AddScaled(dx + ((long)i * t + j) * c, dy + (long)i * c, 1f / t, c);
    }

    public static void Im2col(float* cols, float* img, int b, int channels, int h, int w, int p, WorkerPool? pool = null)
    {
        var job = new Im2colJob { Cols = cols, Img = img, Channels = channels, H = h, W = w, P = p, Backward = false };
        (pool ?? WorkerPool.Shared).For(b, ref job);
    }

    /// <summary>Adds patch-matrix gradients back onto the image gradient (patches do not overlap).</summary>
    public static void Col2imAdd(float* dimg, float* dcols, int b, int channels, int h, int w, int p, WorkerPool? pool = null)
    {
        var job = new Im2colJob { Cols = dcols, Img = dimg, Channels = channels, H = h, W = w, P = p, Backward = true };
        (pool ?? WorkerPool.Shared).For(b, ref job);
    }

    private struct Im2colJob : IParallelJob
    {
        public float* Cols, Img;
        public int Channels, H, W, P;
        public bool Backward;

        public void Execute(int begin, int end, int thread)
        {
            int gh = H / P, gw = W / P, n = gh * gw, width = Channels * P * P;
            for (int bi = begin; bi < end; bi++)
                for (int gy = 0; gy < gh; gy++)
                    for (int gx = 0; gx < gw; gx++)
                    {
                        float* row = Cols + ((long)bi * n + gy * gw + gx) * width;
                        for (int ch = 0; ch < Channels; ch++)
                            for (int ky = 0; ky < P; ky++)
                            {
                                float* pixels = Img + (((long)bi * Channels + ch) * H + gy * P + ky) * W + gx * P;
                                float* cols = row + (ch * P + ky) * P;
                                if (Backward) for (int kx = 0; kx < P; kx++) pixels[kx] += cols[kx];
                                else for (int kx = 0; kx < P; kx++) cols[kx] = pixels[kx];
                            }
                    }
        }
    }
}
