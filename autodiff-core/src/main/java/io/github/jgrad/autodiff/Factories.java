package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.Tensor.leaf;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;

/** The bodies of {@link Tensor}'s factories: new leaves, checked for shapes and arguments. */
final class Factories {
    private Factories() {
    }

    static Tensor zeros(int... shape) {
        int[] s = Shapes.checked("zeros", shape);
        return leaf(Arena.zeros(Shapes.size("zeros", s)), s);
    }

    static Tensor full(String op, double value, int... shape) {
        int[] s = Shapes.checked(op, shape);
        double[] d = Arena.allocate(Shapes.size(op, s));
        Arrays.fill(d, value);
        return leaf(d, s);
    }

    static Tensor of(double[] data, int... shape) {
        Objects.requireNonNull(data, "of: data is null");
        int[] s = shapeOf(data.length, shape);
        double[] d = Arena.allocate(data.length);
        System.arraycopy(data, 0, d, 0, data.length);
        return leaf(d, s);
    }

    /** The shape of {@code of}'s result for {@code length} values: {@code shape}, or a vector if it is empty. */
    static int[] shapeOf(int length, int[] shape) {
        Objects.requireNonNull(shape, "of: shape is null");
        int[] s = shape.length == 0 ? new int[] {length} : Shapes.checked("of", shape);
        if (Shapes.size("of", s) != length) {
            throw new IllegalArgumentException("of: " + length + " values do not fill shape " + Shapes.str(s)
                    + " (" + Shapes.size("of", s) + " elements)");
        }
        return s;
    }

    static <E extends Exception> Tensor create(int[] shape, Tensor.Filler<E> filler) throws E {
        int[] s = Shapes.checked("create", shape);
        double[] d = Arena.zeros(Shapes.size("create", s));
        filler.fill(d);
        return leaf(d, s);
    }

    static <E extends Exception> Tensor createFloats(int[] shape, Tensor.FloatFiller<E> filler) throws E {
        int[] s = Shapes.checked("createFloats", shape);
        float[] f = Arena.zerosFloats(Shapes.size("createFloats", s));
        filler.fill(f);
        return Tensor.leaf(f, s);
    }

    static Tensor of(double[][] rows) {
        Objects.requireNonNull(rows, "of: rows is null");
        for (int i = 0; i < rows.length; i++) {
            Objects.requireNonNull(rows[i], "of: row " + i + " is null");
        }
        int n = rows.length;
        int m = n == 0 ? 0 : rows[0].length;
        double[] d = Arena.allocate(Shapes.size("of", new int[] {n, m}));
        for (int i = 0; i < n; i++) {
            if (rows[i].length != m) {
                throw new IllegalArgumentException("of: row " + i + " has " + rows[i].length + " values, row 0 has " + m);
            }
            System.arraycopy(rows[i], 0, d, i * m, m);
        }
        return leaf(d, new int[] {n, m});
    }

    static Tensor arange(double start, double end, double step) {
        if (step == 0 || !Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: need finite start, end and a non-zero step, got "
                    + start + ", " + end + ", " + step);
        }
        double count = Math.max(0, Math.ceil((end - start) / step));
        if (count > Shapes.MAX_ELEMENTS) {
            throw new IllegalArgumentException("arange: " + count + " elements from " + start + " to " + end
                    + " by " + step + " exceed the largest tensor");
        }
        int n = (int) count;
        double[] d = Arena.allocate(n);
        for (int i = 0; i < n; i++) {
            d[i] = start + i * step;
        }
        return leaf(d, new int[] {n});
    }

    static Tensor eye(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("eye: n must be >= 0, got " + n);
        }
        int[] s = {n, n};
        Tensor t = leaf(Arena.zeros(Shapes.size("eye", s)), s);
        for (int i = 0; i < n; i++) {
            t.data()[i * n + i] = 1;
        }
        return t;
    }

    static Tensor randn(RandomGenerator r, int... shape) {
        Objects.requireNonNull(r, "randn: the random generator is null");
        int[] s = Shapes.checked("randn", shape);
        double[] d = Arena.allocate(Shapes.size("randn", s));
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextGaussian();
        }
        return leaf(d, s);
    }

    static Tensor uniform(String op, RandomGenerator r, double low, double high, int... shape) {
        Objects.requireNonNull(r, op + ": the random generator is null");
        if (!(low < high) || !Double.isFinite(high - low)) {
            throw new IllegalArgumentException(op + ": need low < high with a finite high - low, got " + low
                    + ", " + high);
        }
        double below = Math.nextDown(high);
        int[] s = Shapes.checked(op, shape);
        double[] d = Arena.allocate(Shapes.size(op, s));
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.min(low + (high - low) * r.nextDouble(), below);
        }
        return leaf(d, s);
    }
}
