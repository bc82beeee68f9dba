package io.github.jgrad.autodiff.internal;

import java.util.Arrays;
import java.util.Objects;

/** Shape arithmetic: sizes, strides, NumPy broadcasting, axis normalisation. Shapes are never mutated. */
public final class Shapes {
    /** The most elements one tensor holds: the largest Java array the JVM allocates. */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    public static final int[] SCALAR = {};

    private Shapes() {
    }

    /**
     * The number of elements of {@code shape}.
     *
     * @throws IllegalArgumentException naming {@code op} if a dimension is negative or there are more
     *     elements than one array holds
     */
    public static int size(String op, int[] shape) {
        Objects.requireNonNull(shape, () -> op + ": shape is null");
        boolean empty = false;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(op + ": negative dimension in shape " + str(shape));
            }
            empty |= d == 0;
        }
        if (empty) {
            return 0; // whatever the other sides
        }
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > MAX_ELEMENTS) { // checked at every step: the product never overflows a long
                throw new IllegalArgumentException(op + ": shape " + str(shape) + " has more than "
                        + MAX_ELEMENTS + " elements, the most one tensor holds");
            }
        }
        return (int) n;
    }

    /** The number of elements in the dimensions before {@code axis}: the outer count of a [outer, n, inner] view. */
    public static int sizeBefore(int[] shape, int axis) {
        int n = 1;
        for (int i = 0; i < axis; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** The number of elements in the dimensions after {@code axis}: the inner count of a [outer, n, inner] view. */
    public static int sizeAfter(int[] shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** A copy of {@code shape}, once {@link #size} found it valid (no negative size, not too many elements). */
    public static int[] checked(String op, int[] shape) {
        size(op, shape);
        return shape.clone();
    }

    /** Row-major strides of a contiguous array of this shape. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int stride = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = stride;
            stride *= shape[i];
        }
        return s;
    }

    /** The broadcast shape of a and b (NumPy rules), or an error naming the op and both shapes. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        long size = 1;
        for (int d : out) {
            size = Math.min(size * d, Integer.MAX_VALUE); // each factor below 2^31: no overflow
        }
        if (size > MAX_ELEMENTS) {
            throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " broadcast to " + str(out)
                    + ", more than " + MAX_ELEMENTS + " elements, the most one tensor holds");
        }
        return out;
    }

    /**
     * Strides for reading an array of shape {@code in} as if it had the broadcast shape {@code out}:
     * 0 along dimensions that are broadcast (missing or 1).
     */
    public static int[] broadcastStrides(int[] in, int[] out) {
        int[] s = new int[out.length];
        int[] inStrides = strides(in);
        int offset = out.length - in.length;
        for (int i = 0; i < in.length; i++) {
            s[offset + i] = in[i] == 1 && out[offset + i] != 1 ? 0 : inStrides[i];
        }
        return s;
    }

    /** Normalises an axis of {@code shape} (negative counts from the end) or names the op, the axis and the shape. */
    public static int axis(String op, int axis, int[] shape) {
        return axis(op, axis, shape, shape.length);
    }

    /**
     * Normalises an axis among {@code rank} (one more than {@code shape} has for unsqueeze), or names
     * the op, the axis, the shape and the valid range.
     */
    public static int axis(String op, int axis, int[] shape, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for a tensor of shape "
                    + str(shape) + (rank == 0 ? " (a 0-d tensor has no axes)"
                    : " (valid: " + -rank + " to " + (rank - 1) + ")"));
        }
        return a;
    }

    /** Normalised, sorted, distinct axes of {@code shape}; all axes if none are given. */
    public static int[] axes(String op, int[] axes, int[] shape) {
        int rank = shape.length;
        Objects.requireNonNull(axes, () -> op + ": axes is null");
        if (axes.length == 0) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] a = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            a[i] = axis(op, axes[i], shape);
        }
        Arrays.sort(a);
        for (int i = 1; i < a.length; i++) {
            if (a[i] == a[i - 1]) {
                throw new IllegalArgumentException(op + ": axis " + a[i] + " given twice in " + Arrays.toString(axes));
            }
        }
        return a;
    }

    /** The shape after reducing {@code axes}: kept as 1 with keepDims, dropped otherwise. */
    public static int[] reduced(int[] shape, int[] axes, boolean keepDims) {
        boolean[] r = new boolean[shape.length];
        for (int a : axes) {
            r[a] = true;
        }
        int[] out = new int[keepDims ? shape.length : shape.length - axes.length];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!r[i]) {
                out[j++] = shape[i];
            } else if (keepDims) {
                out[j++] = 1;
            }
        }
        return out;
    }

    /** {@code shape} as messages show it: {@code (2, 3)}, {@code ()} for 0-d. */
    public static String str(int[] shape) {
        return Arrays.toString(shape).replace('[', '(').replace(']', ')');
    }

    /**
     * The row-major flat position of {@code index} in {@code shape}.
     *
     * @throws IllegalArgumentException naming {@code op} if the number of indices is not the rank
     * @throws IndexOutOfBoundsException naming {@code op} if an index is out of range
     */
    public static int flatIndex(String op, int[] shape, int[] index) {
        Objects.requireNonNull(index, () -> op + ": index is null");
        if (index.length != shape.length) {
            throw new IllegalArgumentException(op + ": " + index.length + " indices for shape " + str(shape));
        }
        int flat = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException(op + ": index " + java.util.Arrays.toString(index)
                        + " out of range for shape " + str(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }
}
