package io.github.jgrad.autodiff.internal;

import io.github.jgrad.autodiff.internal.Kernels.Binary;
import io.github.jgrad.autodiff.internal.Kernels.Unary;

/**
 * The float32 element-wise and reduction kernels. A float32 op is its float64 op on the same values,
 * rounded once, bit for bit, except exp, tanh, sigmoid, log, sin and cos (below). Three ways keep that promise:
 * <ul>
 *   <li>+, -, *, / (and the chain rule's product and quotient), max, min, relu, negation, sqrt and
 *       relu's gate run in float arithmetic: for these, float's correctly rounded result is double's
 *       rounded once more (a double holds the exact result of two floats' product closely enough that
 *       the second rounding never differs), and float loops are vectorised where conversions to
 *       double are not (JDK 17's C2 does not vectorise them);</li>
 *   <li>sums and maxima read the floats as stored and accumulate in double, adding in float64's
 *       kernel's order;</li>
 *   <li>every other op runs float64's kernel on blocks of {@link #BLOCK} elements widened into small
 *       buffers that stay in the first-level cache, rounding each result into the float output: one
 *       kernel per op to maintain, and no array of doubles the size of the tensor is ever made.</li>
 * </ul>
 * exp, tanh and sigmoid run on such blocks too, but through {@code Exp}'s kernels made for float
 * results, which C2 vectorises throughout where float64's build 2^k from bits one element at a time.
 * They keep what {@code DType} promises of functions (correctly rounded, or the float beside it),
 * and differ from float64's result rounded in about one float in 10^7; so do sin and cos
 * ({@code Trig}). log ({@code Log}) reads the floats' bits as stored, with no widened block, and sums
 * a series sized for float results. Where the JVM has the Vector API and {@code
 * -Djgrad.functions=vector} asks for it ({@code Simd}), those functions and log1p run on the floats
 * through it instead, with the same promise but not the same bits, and so do sin's and cos's
 * backwards ({@link #chainedFunction}).
 */
public final class FloatKernels {
    /** Elements per block: 3 blocks of doubles take 12 KB. */
    static final int BLOCK = 512;

    private FloatKernels() {
    }

    /** out = op(a), element by element. */
    public static float[] unary(Unary op, float[] a) {
        float[] out = Arena.allocateFloats(a.length);
        if (op == Unary.RELU || op == Unary.NEG) {
            Kernels.split(a.length, a.length, (from, to) -> {
                for (int i = from; i < to; i++) {
                    out[i] = op == Unary.NEG ? -a[i] : Math.max(a[i], 0f); // NaN stays NaN, -0 becomes 0
                }
            });
            return out;
        }
        if (op == Unary.ABS) { // exact in float, as in double; widening it cost 2-3x float64's time
            Kernels.split(a.length, a.length, (from, to) -> {
                for (int i = from; i < to; i++) {
                    out[i] = Math.abs(a[i]);
                }
            });
            return out;
        }
        if (op == Unary.SQRT) { // float's correctly rounded square root is double's rounded, and C2 vectorises it
            Kernels.split(a.length, a.length, (from, to) -> {
                for (int i = from; i < to; i++) {
                    out[i] = (float) Math.sqrt(a[i]);
                }
            });
            return out;
        }
        if (Simd.covers(op)) {
            Kernels.split(a.length, a.length * 4L, (from, to) -> Simd.FUNCTIONS.unary(op, a, out, from, to));
            return out;
        }
        if (op == Unary.LOG) { // read from the floats' bits, without widening
            Kernels.split(a.length, a.length * 4L, (from, to) -> Log.log(a, out, from, to));
            return out;
        }
        Kernels.split(a.length, a.length * 4L, (from, to) -> {
            double[] x = new double[BLOCK];
            double[] y = new double[BLOCK];
            for (int i = from; i < to; i += BLOCK) {
                int n = Math.min(BLOCK, to - i);
                widen(a, i, x, n);
                if (Exp.forFloat(op, x, n)) { // exp, tanh and sigmoid have kernels made for float results
                    narrow(x, out, i, n);
                } else if (op == Unary.SIN || op == Unary.COS) { // so do sin and cos
                    Trig.forFloat(op == Unary.COS, x, y, n);
                    narrow(y, out, i, n);
                } else {
                    Kernels.unary(op, x, y, 0, n);
                    narrow(y, out, i, n);
                }
            }
        });
        return out;
    }

    /** out = a (op) b for arrays of one length. */
    public static float[] binary(Binary op, float[] a, float[] b) {
        float[] out = Arena.allocateFloats(a.length);
        if (exact(op)) {
            Kernels.split(a.length, a.length, (from, to) -> exact(op, a, b, 0, 1, out, from, to));
            return out;
        }
        return blocks(a, b, 1, (x, y, z, from, to) -> Kernels.loop(op, x, from, 1, y, from, 1, z, from, to - from));
    }

    /** An element-wise loop over [from, to) of doubles: out[i] from a[i] and b[i]. */
    public interface Loop {
        void run(double[] a, double[] b, double[] out, int from, int to);
    }

    /** An element-wise loop over [from, to) of doubles: out[i] from a[i], b[i] and c[i]. */
    public interface Loop3 {
        void run(double[] a, double[] b, double[] c, double[] out, int from, int to);
    }

    /**
     * out = loop(a, b) for float arrays of one length, computed on blocks of {@link #BLOCK} elements
     * widened to double (on both threads for large arrays) and rounded once into the float result:
     * the bits of widening the whole arrays, without arrays of doubles the size of the tensor.
     */
    public static float[] blocks(float[] a, float[] b, long workPerElement, Loop loop) {
        return blocks(a, b, null, workPerElement, (x, y, unused, out, from, to) -> loop.run(x, y, out, from, to));
    }

    /**
     * {@link #blocks(float[], float[], long, Loop)} of three operands; {@code b} and {@code c} may be
     * null (not read: the loop gets null for them).
     */
    public static float[] blocks(float[] a, float[] b, float[] c, long workPerElement, Loop3 loop) {
        float[] out = Arena.allocateFloats(a.length);
        Kernels.split(a.length, a.length * workPerElement, (from, to) -> {
            double[] x = new double[BLOCK];
            double[] y = b == null ? null : new double[BLOCK];
            double[] z = c == null ? null : new double[BLOCK];
            double[] o = new double[BLOCK];
            for (int i = from; i < to; i += BLOCK) {
                int n = Math.min(BLOCK, to - i);
                widen(a, i, x, n);
                if (b != null) {
                    widen(b, i, y, n);
                }
                if (c != null) {
                    widen(c, i, z, n);
                }
                loop.run(x, y, z, o, 0, n);
                narrow(o, out, i, n);
            }
        });
        return out;
    }

    /** out = a (op) c for every element of a: c is a one-element operand's value. */
    public static float[] binary(Binary op, float[] a, double c) {
        if (op == Binary.POW && c == 2) { // a float's square is exact in double: a * a rounds it once
            return binary(Binary.MUL, a, a);
        }
        if (exact(op) && (float) c == c) { // a float operand: float arithmetic is exact arithmetic rounded
            float[] out = Arena.allocateFloats(a.length);
            float[] b = {(float) c};
            Kernels.split(a.length, a.length, (from, to) -> exact(op, a, b, 0, 0, out, from, to));
            return out;
        }
        double[] scalar = {c};
        return blocks(a, null, null, 1, (x, unused, unused2, z, from, to) ->
                Kernels.loop(op, x, from, 1, scalar, 0, 0, z, from, to - from));
    }

    /** out = a (op) row for every row of a, which holds rows of {@code row.length} elements (a bias add). */
    public static float[] binaryRows(Binary op, float[] a, float[] row) {
        float[] out = Arena.allocateFloats(a.length);
        int m = row.length;
        if (a.length == 0) {
            return out;
        }
        if (exact(op)) {
            Kernels.split(a.length / m, a.length, (from, to) -> {
                for (int r = from; r < to; r++) {
                    exact(op, a, row, -r * m, 1, out, r * m, r * m + m);
                }
            });
            return out;
        }
        double[] y = new double[m];
        widen(row, 0, y, m);
        Kernels.split(a.length / m, a.length, (from, to) -> {
            double[] x = new double[Math.min(BLOCK, m)];
            double[] z = new double[x.length];
            for (int r = from; r < to; r++) {
                for (int j = 0; j < m; j += BLOCK) {
                    int n = Math.min(BLOCK, m - j);
                    widen(a, r * m + j, x, n);
                    Kernels.loop(op, x, 0, 1, y, j, 1, z, 0, n);
                    narrow(z, out, r * m + j, n);
                }
            }
        });
        return out;
    }

    /** Whether {@link #exact(Binary, float[], float[], int, int, float[], int, int)} runs {@code op}. */
    private static boolean exact(Binary op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAX, MIN, CHAIN, CHAIN_DIV, GATE, CHAIN_SIGN -> true;
            default -> false;
        };
    }

    /**
     * out[i] = a[i] (op) b[bo + i] for i in [from, to), bs 1 (an array) or 0 (one number), in float
     * arithmetic: for these ops exactly the float64 kernel's result rounded (see the class comment).
     * The loops index a, b and out alike: C2 vectorises a float loop with one index about twice as
     * fast as one with an offset between its arrays (float32 add 245-276 -> 150-161 us on 10^6), so
     * one number is copied into a block, and a's blocks beside it; rows keep the offset loops.
     */
    private static void exact(Binary op, float[] a, float[] b, int bo, int bs, float[] out, int from, int to) {
        if (bs == 1 && bo == 0) {
            aligned(op, a, b, out, from, to);
            return;
        }
        if (bs == 0) { // one number: blocks of it, and of a, at offset 0
            int block = Math.min(BLOCK, to - from);
            float[] x = new float[block];
            float[] y = new float[block];
            float[] z = new float[block];
            java.util.Arrays.fill(y, b[bo]);
            for (int i = from; i < to; i += block) {
                int n = Math.min(block, to - i);
                System.arraycopy(a, i, x, 0, n);
                aligned(op, x, y, z, 0, n);
                System.arraycopy(z, 0, out, i, n);
            }
            return;
        }
        // a row of a bias: copying a and out into blocks measured twice as slow as the offset loops
        switch (op) { // b[bo + i], never b[bo + i * bs]: C2 vectorises only constant strides
            case ADD -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] + b[bo + i];
                }
            }
            case SUB -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] - b[bo + i];
                }
            }
            case MUL -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] * b[bo + i];
                }
            }
            case DIV -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] / b[bo + i];
                }
            }
            case MAX -> {
                for (int i = from; i < to; i++) {
                    out[i] = Math.max(a[i], b[bo + i]);
                }
            }
            case MIN -> {
                for (int i = from; i < to; i++) {
                    out[i] = Math.min(a[i], b[bo + i]);
                }
            }
            case CHAIN, CHAIN_DIV -> chain(op == Binary.CHAIN_DIV, a, b, bo, out, from, to);
            case CHAIN_SIGN -> chainSign(a, b, bo, out, from, to);
            case GATE -> { // relu's backward: a where b > 0, else 0, without a branch (masks are random)
                if (Simd.exact(to - from)) {
                    Simd.FUNCTIONS.gate(a, b, bo, out, from, to);
                    return;
                }
                for (int i = from; i < to; i++) {
                    out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(a[i]) & positive(b[bo + i]));
                }
            }
            default -> throw new AssertionError(op);
        }
    }

    /** out[i] = a[i] (op) b[i] for i in [from, to): {@link #exact}'s loops. */
    private static void aligned(Binary op, float[] a, float[] b, float[] out, int from, int to) {
        switch (op) { // b[i], never b[bo + i * bs]: C2 vectorises only constant strides, best with no offset
            case ADD -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] + b[i];
                }
            }
            case SUB -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] - b[i];
                }
            }
            case MUL -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] * b[i];
                }
            }
            case DIV -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] / b[i];
                }
            }
            case MAX -> {
                for (int i = from; i < to; i++) {
                    out[i] = Math.max(a[i], b[i]);
                }
            }
            case MIN -> {
                for (int i = from; i < to; i++) {
                    out[i] = Math.min(a[i], b[i]);
                }
            }
            case CHAIN, CHAIN_DIV -> chain(op == Binary.CHAIN_DIV, a, b, 0, out, from, to);
            case CHAIN_SIGN -> chainSign(a, b, 0, out, from, to);
            case GATE -> { // relu's backward: a where b > 0, else 0, without a branch (masks are random)
                if (Simd.exact(to - from)) {
                    Simd.FUNCTIONS.gate(a, b, 0, out, from, to);
                    return;
                }
                for (int i = from; i < to; i++) {
                    out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(a[i]) & positive(b[i]));
                }
            }
            default -> throw new AssertionError(op);
        }
    }

    /**
     * The chain rule's product g * d[dOff + i] (quotient with {@code divide}) for i in [from, to): 0
     * where the gradient g is 0, whatever d; through the Vector API where there is one. d may be out
     * (dOff 0): each element is read before it is written.
     */
    public static void chain(boolean divide, float[] g, float[] d, int dOff, float[] out, int from, int to) {
        if (Simd.exact(to - from)) {
            Simd.FUNCTIONS.chain(divide, g, d, dOff, out, from, to);
        } else if (divide) {
            for (int i = from; i < to; i++) {
                out[i] = chainDiv(g[i], d[dOff + i]);
            }
        } else {
            for (int i = from; i < to; i++) {
                out[i] = chain(g[i], d[dOff + i]);
            }
        }
    }

    /**
     * pow(a, 2)'s backward towards a in float32 without widening to double: float64's chain(g, 2a)
     * rounded once is round(2ga), a product of two floats being exact in double; 2g is exact in
     * float unless it overflows, so the float product (2g) * a is that exact product rounded once,
     * and 0 where g is 0 ({@link #chain}). Where 2g overflowed (|g| &gt;= 2^127) the result is not
     * finite, and the elements that are not are computed again in double: the same bits always.
     * Through the Vector API, where there is one, the same product a vector of floats at a time.
     */
    public static float[] squareBackward(float[] g, float[] a) {
        float[] out = Arena.allocateFloats(a.length);
        Kernels.split(a.length, a.length * 3L, (from, to) -> {
            if (Simd.exact(to - from)) {
                Simd.FUNCTIONS.squareBackward(g, a, out, from, to);
                return;
            }
            for (int s = from; s < to; s += BLOCK) {
                int e = Math.min(s + BLOCK, to);
                for (int i = s; i < e; i++) {
                    out[i] = g[i] * 2;
                }
                chain(false, out, a, 0, out, s, e);
                for (int i = s; i < e; i++) {
                    if (!Float.isFinite(out[i])) {
                        out[i] = (float) ChainRule.chain(g[i], 2.0 * a[i]);
                    }
                }
            }
        });
        return out;
    }

    /**
     * Whether {@code op} runs on the floats themselves, through the Vector API, where the JVM has it
     * and {@code -Djgrad.functions=vector} asks for it ({@code Simd}); then {@link #chainedFunction}
     * takes its backward.
     */
    public static boolean onFloats(Unary op) {
        return Simd.covers(op);
    }

    /**
     * The chain rule's product g * f(a), negated with {@code negate} (sin's and cos's backwards), for a
     * function f that runs {@link #onFloats}, as its forward does: f(a) in float, a block at a time,
     * then the float product, +0.0 where g is 0 ({@link #chain}; -0.0 negated). f(a) is within 1 ulp
     * of {@code StrictMath}'s result rounded to float, and the product rounds once more: within 2 ulp
     * of float64's result rounded, the promise of those functions, not float64's bits.
     */
    public static float[] chainedFunction(float[] g, float[] a, Unary f, boolean negate) {
        float[] out = Arena.allocateFloats(a.length);
        Kernels.split(a.length, a.length * 4L, (from, to) -> {
            for (int s = from; s < to; s += BLOCK) {
                int e = Math.min(s + BLOCK, to);
                Simd.FUNCTIONS.unary(f, a, out, s, e);
                chain(false, g, out, 0, out, s, e);
                if (negate) {
                    for (int i = s; i < e; i++) {
                        out[i] = -out[i];
                    }
                }
            }
        });
        return out;
    }

    /** {@link ChainRule#inside} for floats, compared with the double bounds. */
    public static void inside(float[] g, float[] x, double low, double high, float[] out, int from, int to, boolean vector) {
        if (vector && Simd.exact(to - from)) {
            Simd.FUNCTIONS.inside(g, x, low, high, out, from, to);
            return;
        }
        for (int i = from; i < to; i++) {
            int in = -((x[i] >= low ? 1 : 0) & (x[i] <= high ? 1 : 0));
            out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(g[i]) & in);
        }
    }

    /**
     * out[i] = g[i] * sign(x[xo + i]), +0.0 where g is 0 (abs's backward, {@code Binary.CHAIN_SIGN}):
     * a product by +-1, +-0 or NaN is exact in float; through the Vector API where there is one.
     */
    private static void chainSign(float[] g, float[] x, int xo, float[] out, int from, int to) {
        if (Simd.exact(to - from)) {
            Simd.FUNCTIONS.chainSign(g, x, xo, out, from, to);
            return;
        }
        for (int i = from; i < to; i++) {
            out[i] = chain(g[i], (float) Kernels.sign(x[xo + i]));
        }
    }

    /** {@link ChainRule#chain} in float: g * d, +0.0 where g is 0, without a branch. */
    public static float chain(float g, float d) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(g * d) & -(g != 0 ? 1 : 0));
    }

    /** {@link ChainRule#chainDiv} in float: g / d, +0.0 where g is 0, without a branch. */
    public static float chainDiv(float g, float d) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(g / d) & -(g != 0 ? 1 : 0));
    }

    /** -1 (all bits set) where x &gt; 0, else 0, as {@code ChainRule.positive} for doubles. */
    private static int positive(float x) {
        int bits = Float.floatToRawIntBits(x) - 1;
        return ((bits - 0x7f800000) >> 31) & ~(bits >> 31);
    }

    /**
     * Sums or maxes the (outer, r, inner) array {@code a} over r, as {@link Kernels#reduce} does for
     * doubles, into doubles for the caller to round once: sums accumulate in double in the same order as
     * float64's (the same bits as float64's kernel on the widened values), so the float32 result is
     * float64's rounded once, without widening the whole array.
     */
    public static double[] reduce(boolean max, float[] a, int outer, int r, int inner) {
        double[] out = Arena.allocate(outer * inner);
        if (outer == 1 && inner == 1 && !max) {
            out[0] = Kernels.inHalves(0, r, (from, n) -> pairwiseSum(a, from, n));
            return out;
        }
        if (outer == 1) { // column sums: the threads share out the columns, in memory order
            Kernels.split(inner, (long) r * inner, (from, to) -> reduce(max, a, 0, r, inner, out, 0, from, to, false));
        } else {
            Kernels.split(outer, (long) outer * r * inner, (from, to) -> {
                for (int o = from; o < to; o++) {
                    reduce(max, a, o * r * inner, r, inner, out, o * inner, 0, inner, true);
                }
            });
        }
        return out;
    }

    /**
     * Columns {@code from} to {@code to} of the (r, inner) block of a at base, reduced into out at ob.
     * Sums start from 0 ({@code fromZero}) or from the first row, as float64's kernel does for a middle
     * and a leading axis: the same bits, -0.0 included.
     */
    private static void reduce(boolean max, float[] a, int base, int r, int inner, double[] out, int ob,
                               int from, int to, boolean fromZero) {
        if (r == 0) {
            java.util.Arrays.fill(out, ob + from, ob + to, max ? Double.NEGATIVE_INFINITY : 0.0);
        } else if (inner == 1) {
            out[ob] = max ? max(a, base, r) : pairwiseSum(a, base, r);
        } else {
            boolean zero = fromZero && !max;
            for (int i = from; i < to; i++) {
                out[ob + i] = zero ? 0.0 : a[base + i];
            }
            int k = zero ? 0 : 1;
            for (; !max && k + 3 < r; k += 4) { // four rows per pass over out, added in the same order
                int s0 = base + k * inner;
                if (Simd.SUMS_FLOATS && to - from >= Simd.MIN_LENGTH) {
                    Simd.FUNCTIONS.addFourRows(a, s0, inner, out, ob, from, to);
                    continue;
                }
                int s1 = s0 + inner;
                int s2 = s1 + inner;
                int s3 = s2 + inner;
                for (int i = from; i < to; i++) {
                    out[ob + i] = out[ob + i] + a[s0 + i] + a[s1 + i] + a[s2 + i] + a[s3 + i];
                }
            }
            for (; k < r; k++) {
                int src = base + k * inner;
                if (max) {
                    for (int i = from; i < to; i++) {
                        out[ob + i] = Math.max(out[ob + i], a[src + i]); // NaN wins, as in NumPy
                    }
                } else {
                    for (int i = from; i < to; i++) {
                        out[ob + i] += a[src + i];
                    }
                }
            }
        }
    }

    /** The largest of a[from, from + n), n &gt; 0, as {@link Kernels#max(double[], int, int)} finds it. */
    private static float max(float[] a, int from, int n) {
        if (Simd.exact(n)) {
            return Simd.FUNCTIONS.max(a, from, n);
        }
        float m = a[from];
        if (m != m) {
            return m;
        }
        int end = from + n;
        for (int k = from + 1; k < end; k++) {
            float v = a[k];
            if (!(v <= m)) { // larger, or NaN
                if (v != v) {
                    return v;
                }
                m = v;
            }
        }
        if (m == 0) {
            for (int k = from; k < end; k++) {
                m = Math.max(m, a[k]);
            }
        }
        return m;
    }

    /** {@link Kernels#pairwiseSum} of a[from, from + n) widened: the same additions in the same order. */
    static double pairwiseSum(float[] a, int from, int n) {
        if (n <= 128) {
            if (n >= Simd.MIN_LENGTH && Simd.SUMS_FLOATS) {
                return Simd.FUNCTIONS.sumOfBlock(a, from, n);
            }
            if (n < 8) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += a[from + i];
                }
                return s;
            }
            double s0 = a[from];
            double s1 = a[from + 1];
            double s2 = a[from + 2];
            double s3 = a[from + 3];
            double s4 = a[from + 4];
            double s5 = a[from + 5];
            double s6 = a[from + 6];
            double s7 = a[from + 7];
            int i = 8;
            for (; i + 8 <= n; i += 8) {
                s0 += a[from + i];
                s1 += a[from + i + 1];
                s2 += a[from + i + 2];
                s3 += a[from + i + 3];
                s4 += a[from + i + 4];
                s5 += a[from + i + 5];
                s6 += a[from + i + 6];
                s7 += a[from + i + 7];
            }
            double s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
            for (; i < n; i++) {
                s += a[from + i];
            }
            return s;
        }
        int half = n / 2 / 8 * 8;
        return pairwiseSum(a, from, half) + pairwiseSum(a, from + half, n - half);
    }

    /** into[0, n) = a[from, from + n) widened (a block, or Softmax's row). */
    static void widen(float[] a, int from, double[] into, int n) {
        for (int j = 0; j < n; j++) {
            into[j] = a[from + j];
        }
    }

    /** out[from, from + n) = a[0, n) rounded once. */
    static void narrow(double[] a, float[] out, int from, int n) {
        for (int j = 0; j < n; j++) {
            out[from + j] = (float) a[j];
        }
    }
}
