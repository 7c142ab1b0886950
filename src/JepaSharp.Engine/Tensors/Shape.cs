using System.Runtime.CompilerServices;
using System.Text;

namespace JepaSharp.Engine.Tensors;

/// <summary>An immutable tensor shape of rank 0 to 6, stored inline (no managed array).</summary>
public readonly struct Shape : IEquatable<Shape>
{
    public const int MaxRank = 6;

    [InlineArray(MaxRank)]
    private struct Dims
    {
        private int _element0;
    }

    private readonly Dims _dims;

    public int Rank { get; }

    public Shape(params ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxRank) throw new ArgumentException($"rank {dims.Length} exceeds the maximum of {MaxRank}");
        Rank = dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0) throw new ArgumentException($"negative dimension {dims[i]} in shape");
            _dims[i] = dims[i];
        }
    }

    public int this[int axis]
    {
        get
        {
            if (axis < 0) axis += Rank;
            if ((uint)axis >= (uint)Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} out of range for shape {this}");
            return _dims[axis];
        }
    }

    public int Numel
    {
        get
        {
            long n = 1;
            for (int i = 0; i < Rank; i++) n *= _dims[i];
            if (n > int.MaxValue) throw new OverflowException($"shape {this} has more than 2^31 elements");
            return (int)n;
        }
    }

    /// <summary>The product of all dimensions but the last: the number of rows a row kernel sees.</summary>
    public int Rows => Rank == 0 ? 1 : Numel / Math.Max(1, _dims[Rank - 1]);

    public int Last => Rank == 0 ? 1 : _dims[Rank - 1];

    public Shape WithLast(int last)
    {
        Span<int> d = stackalloc int[Rank];
        for (int i = 0; i < Rank; i++) d[i] = _dims[i];
        d[Rank - 1] = last;
        return new Shape(d);
    }

    public Shape With(int axis, int size)
    {
        if (axis < 0) axis += Rank;
        Span<int> d = stackalloc int[Rank];
        for (int i = 0; i < Rank; i++) d[i] = _dims[i];
        d[axis] = size;
        return new Shape(d);
    }

    public bool Equals(Shape other)
    {
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dims[i] != other._dims[i]) return false;
        return true;
    }

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        for (int i = 0; i < Rank; i++) h.Add(_dims[i]);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public int[] ToArray()
    {
        var a = new int[Rank];
        for (int i = 0; i < Rank; i++) a[i] = _dims[i];
        return a;
    }

    public override string ToString()
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < Rank; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(_dims[i]);
        }
        return sb.Append(']').ToString();
    }
}
