namespace JepaSharp.Viz.Embeddings;

/// <summary>
/// A quadtree over 2-D points that keeps each cell's point count and centre of mass: Barnes-Hut approximates
/// the pull of a far cell (side / distance &lt; θ) by its mass at its centre. Coincident points share a leaf at
/// the maximum depth. Nodes live in flat arrays that are reused from one build to the next.
/// </summary>
public sealed class SpaceTree
{
    private const int MaxDepth = 48;
    private double[] _centerX = [], _centerY = [], _half = [], _sumX = [], _sumY = [];
    private int[] _count = [], _child = [], _point = [];
    private int _nodes;

    public void Build(ReadOnlySpan<double> y, int n)
    {
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (int i = 0; i < n; i++)
        {
            minX = Math.Min(minX, y[2 * i]);
            maxX = Math.Max(maxX, y[2 * i]);
            minY = Math.Min(minY, y[2 * i + 1]);
            maxY = Math.Max(maxY, y[2 * i + 1]);
        }
        _nodes = 0;
        NewNode((minX + maxX) / 2, (minY + maxY) / 2, Math.Max(maxX - minX, maxY - minY) / 2 * (1 + 1e-9) + 1e-12);
        for (int i = 0; i < n; i++) Insert(y, i);
    }

    private void Insert(ReadOnlySpan<double> y, int i)
    {
        double px = y[2 * i], py = y[2 * i + 1];
        int node = 0;
        for (int depth = 0; ; depth++)
        {
            int before = _count[node];
            _count[node]++;
            _sumX[node] += px;
            _sumY[node] += py;
            if (_child[node] < 0)
            {
                if (before == 0)
                {
                    _point[node] = i;
                    return;
                }
                if (depth >= MaxDepth) return;
                // A leaf with one point splits: that point moves down one level, then i continues down.
                int old = _point[node];
                Split(node);
                int oldChild = Quadrant(node, y[2 * old], y[2 * old + 1]);
                _count[oldChild] = 1;
                _sumX[oldChild] = y[2 * old];
                _sumY[oldChild] = y[2 * old + 1];
                _point[oldChild] = old;
            }
            node = Quadrant(node, px, py);
        }
    }

    private void Split(int node)
    {
        double half = _half[node] / 2;
        int first = _nodes;
        for (int q = 0; q < 4; q++)
            NewNode(_centerX[node] + ((q & 1) == 0 ? -half : half), _centerY[node] + ((q & 2) == 0 ? -half : half), half);
        // NewNode may have grown the arrays; index them only now.
        _child[node] = first;
    }

    private int Quadrant(int node, double x, double y) => _child[node] + (x >= _centerX[node] ? 1 : 0) + (y >= _centerY[node] ? 2 : 0);

    private void NewNode(double cx, double cy, double half)
    {
        if (_nodes == _count.Length)
        {
            int size = Math.Max(64, 2 * _nodes);
            Array.Resize(ref _centerX, size);
            Array.Resize(ref _centerY, size);
            Array.Resize(ref _half, size);
            Array.Resize(ref _sumX, size);
            Array.Resize(ref _sumY, size);
            Array.Resize(ref _count, size);
            Array.Resize(ref _child, size);
            Array.Resize(ref _point, size);
        }
        int n = _nodes++;
        (_centerX[n], _centerY[n], _half[n], _sumX[n], _sumY[n], _count[n], _child[n], _point[n]) = (cx, cy, half, 0, 0, 0, -1, -1);
    }

    /// <summary>
    /// The t-SNE repulsion on point (x, y): Σ_j q̃_ij² (y_i − y_j) into (forceX, forceY), and returns Σ_j q̃_ij with
    /// q̃ = 1 / (1 + ‖y_i − y_j‖²) over all other points, cells with side/distance &lt; θ taken whole (θ = 0: exact).
    /// </summary>
    public double Repulsion(double x, double y, double theta, out double forceX, out double forceY)
    {
        Span<int> stack = stackalloc int[4 * MaxDepth + 8];
        int top = 0;
        stack[top++] = 0;
        double z = 0, fx = 0, fy = 0, theta2 = theta * theta;
        while (top > 0)
        {
            int node = stack[--top];
            int count = _count[node];
            if (count == 0) continue;
            double cx = _sumX[node] / count, cy = _sumY[node] / count;
            double dx = x - cx, dy = y - cy, d2 = dx * dx + dy * dy;
            bool leaf = _child[node] < 0;
            if (leaf && d2 == 0)
            {
                // The point's own leaf: its coincident companions add to Z but push in no direction.
                z += count - 1;
                continue;
            }
            double side = 2 * _half[node];
            if (leaf || side * side < theta2 * d2)
            {
                double q = 1 / (1 + d2);
                z += count * q;
                fx += count * q * q * dx;
                fy += count * q * q * dy;
                continue;
            }
            int child = _child[node];
            for (int c = 0; c < 4; c++) stack[top++] = child + c;
        }
        (forceX, forceY) = (fx, fy);
        return z;
    }
}
