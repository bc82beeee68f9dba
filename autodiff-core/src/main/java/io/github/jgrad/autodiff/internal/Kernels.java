package io.github.jgrad.autodiff.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.numbers.gamma.Erf;

/**
 * The tensor engine's loops: flat loops over primitive arrays, one specialised loop per op (selected
 * once per call, never per element), no boxing, no allocation inside a loop. Large jobs are split in
 * two halves, one run by the common fork-join pool, one by the caller.
 */
public final class Kernels {
    /** Below this many elements (or multiply-adds) a job runs on the calling thread only. */
    public static final int PARALLEL_THRESHOLD = 1 << 16;
    private static final boolean PARALLEL = ForkJoinPool.getCommonPoolParallelism() > 1
            || Runtime.getRuntime().availableProcessors() > 1;

    /** The element-wise binary kernels; a type of their own, so that no unary kernel can be passed for one. */
    public enum Binary {
        ADD, SUB, MUL, DIV, POW, MAX, MIN, GT, GE, LT, LE, EQ,
        /** a where b > 0, else 0: relu's backward, a select rather than a product (0 * inf stays 0). */
        GATE,
        /** a * b, but 0 where a is 0 even if b is infinite or NaN: the chain rule's product (a is a gradient). */
        CHAIN,
        /** a / b, but 0 where a is 0 even if b is 0 or NaN: the chain rule's quotient (a is a gradient). */
        CHAIN_DIV,
        /** a * sign(b), but 0 where a is 0: abs's backward in one pass (a is a gradient). */
        CHAIN_SIGN
    }

    /** The element-wise unary kernels. */
    public enum Unary {
        NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS, ABS, SIGN, LOG1P, SOFTPLUS, ERF
    }

    private Kernels() {
    }

    /** A job over the index range [from, to). */
    public interface Range {
        void run(int from, int to);
    }

    /**
     * Runs {@code job} over [0, n), in two halves on two threads when {@code work} is large: the first
     * half is offered to the common pool, and taken back by this thread if no worker has started it by
     * the time the second half is done. So a busy or empty pool (every worker blocked, or parallelism
     * 0) costs the split, never a wait for a worker: JDK 25's join() of a submitted task from outside
     * the pool waits for one. A half a worker took is waited for by a latch, never by join(): called on
     * a pool thread (a parallel stream), join() runs other queued tasks meanwhile, and they would run
     * inside this thread's grad-mode and workspace scopes.
     */
    public static void split(int n, long work, Range job) {
        if (!PARALLEL || work < PARALLEL_THRESHOLD || n < 2) {
            job.run(0, n);
            return;
        }
        int mid = n / 2;
        AtomicBoolean taken = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Throwable[] failed = new Throwable[1];
        ForkJoinPool.commonPool().execute(() -> {
            if (taken.compareAndSet(false, true)) {
                try {
                    job.run(0, mid);
                } catch (Throwable e) {
                    failed[0] = e;
                } finally {
                    done.countDown(); // publishes failed[0] to the waiting thread
                }
            }
        });
        try {
            job.run(mid, n);
        } catch (Throwable e) {
            if (!taken.compareAndSet(false, true)) {
                await(done); // no worker may write into the output once this returns, thrown or not
            }
            throw Kernels.<RuntimeException>rethrow(e);
        }
        if (taken.compareAndSet(false, true)) {
            job.run(0, mid); // no worker came: the task left in the pool will find it taken
            return;
        }
        await(done); // the half is running on a worker: it ends without this thread's help
        if (failed[0] != null) {
            throw Kernels.<RuntimeException>rethrow(failed[0]); // as join() did: a checked one too, unwrapped
        }
    }

    /** Waits for {@code done} without being interrupted, keeping an interrupt for the caller. */
    private static void await(CountDownLatch done) {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Throws {@code e} as it is, checked or not. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E rethrow(Throwable e) throws E {
        throw (E) e;
    }

    // ------------------------------------------------------------------ element-wise

    /** out = a (op) b with NumPy broadcasting; {@code so} is the broadcast shape. */
    public static double[] binary(Binary op, double[] a, int[] sa, double[] b, int[] sb, int[] so) {
        int n = Shapes.size("broadcast", so);
        double[] out = Arena.allocate(n);
        if (n == 0) {
            return out;
        }
        if (a.length == n && b.length == n) {
            split(n, n, (from, to) -> loop(op, a, from, 1, b, from, 1, out, from, to - from));
            return out;
        }
        int rank = so.length;
        int[] as = Shapes.broadcastStrides(sa, so);
        int[] bs = Shapes.broadcastStrides(sb, so);
        int inner = so[rank - 1];
        int innerA = as[rank - 1];
        int innerB = bs[rank - 1];
        int rows = n / inner;
        split(rows, n, (from, to) -> {
            int[] idx = new int[rank];
            int rem = from;
            int ao = 0;
            int bo = 0;
            for (int d = rank - 2; d >= 0; d--) {
                idx[d] = rem % so[d];
                rem /= so[d];
                ao += idx[d] * as[d];
                bo += idx[d] * bs[d];
            }
            for (int row = from; row < to; row++) {
                loop(op, a, ao, innerA, b, bo, innerB, out, row * inner, inner);
                for (int d = rank - 2; d >= 0; d--) {
                    if (++idx[d] < so[d]) {
                        ao += as[d];
                        bo += bs[d];
                        break;
                    }
                    ao -= (so[d] - 1) * as[d];
                    bo -= (so[d] - 1) * bs[d];
                    idx[d] = 0;
                }
            }
        });
        return out;
    }

    /** One row: out[oo + i] = a[ao + i*as] (op) b[bo + i*bs] for i in [0, n); strides are 0 or 1. */
    public static void loop(Binary op, double[] a, int ao, int as, double[] b, int bo, int bs, double[] out, int oo, int n) {
        if (as == 1 && bs == 1 && contiguous(op, a, ao, b, bo, out, oo, n)) {
            return;
        }
        if (as == 1 && bs == 0 && withScalar(op, a, ao, b[bo], out, oo, n)) {
            return;
        }
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] + b[bo + i * bs];
                }
                break;
            case SUB:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] - b[bo + i * bs];
                }
                break;
            case MUL:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] * b[bo + i * bs];
                }
                break;
            case DIV:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] / b[bo + i * bs];
                }
                break;
            case POW:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = pow(a[ao + i * as], b[bo + i * bs]);
                }
                break;
            case MAX:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.max(a[ao + i * as], b[bo + i * bs]);
                }
                break;
            case MIN:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.min(a[ao + i * as], b[bo + i * bs]);
                }
                break;
            case GT:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] > b[bo + i * bs] ? 1 : 0;
                }
                break;
            case GE:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] >= b[bo + i * bs] ? 1 : 0;
                }
                break;
            case LT:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] < b[bo + i * bs] ? 1 : 0;
                }
                break;
            case LE:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] <= b[bo + i * bs] ? 1 : 0;
                }
                break;
            case EQ:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] == b[bo + i * bs] ? 1 : 0;
                }
                break;
            case GATE:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = b[bo + i * bs] > 0 ? a[ao + i * as] : 0;
                }
                break;
            case CHAIN_SIGN:
                for (int i = 0; i < n; i++) {
                    double g = a[ao + i * as];
                    out[oo + i] = ChainRule.chain(g, sign(b[bo + i * bs]));
                }
                break;
            case CHAIN:
                for (int i = 0; i < n; i++) {
                    double g = a[ao + i * as];
                    out[oo + i] = ChainRule.chain(g, b[bo + i * bs]);
                }
                break;
            case CHAIN_DIV:
                for (int i = 0; i < n; i++) {
                    double g = a[ao + i * as];
                    out[oo + i] = ChainRule.chainDiv(g, b[bo + i * bs]);
                }
                break;
            default:
                throw new AssertionError(op);
        }
    }

    /**
     * The common arithmetic on two contiguous rows, in loops the JIT vectorises (the general loop's
     * runtime strides keep it from doing so); false for ops it does not cover.
     */
    private static boolean contiguous(Binary op, double[] a, int ao, double[] b, int bo, double[] out, int oo, int n) {
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] + b[bo + i];
                }
                return true;
            case SUB:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] - b[bo + i];
                }
                return true;
            case MUL:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] * b[bo + i];
                }
                return true;
            case DIV:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] / b[bo + i];
                }
                return true;
            case MAX:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.max(a[ao + i], b[bo + i]);
                }
                return true;
            case MIN:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Math.min(a[ao + i], b[bo + i]);
                }
                return true;
            case CHAIN:
                if (Simd.exact(n)) {
                    Simd.FUNCTIONS.chain(false, a, ao, b, bo, out, oo, n);
                    return true;
                }
                for (int i = 0; i < n; i++) {
                    double g = a[ao + i];
                    out[oo + i] = ChainRule.chain(g, b[bo + i]);
                }
                return true;
            case CHAIN_SIGN: // abs's backward
                if (Simd.exact(n)) {
                    Simd.FUNCTIONS.chainSign(a, ao, b, bo, out, oo, n);
                    return true;
                }
                for (int i = 0; i < n; i++) {
                    out[oo + i] = ChainRule.chain(a[ao + i], sign(b[bo + i]));
                }
                return true;
            case CHAIN_DIV:
                if (Simd.exact(n)) {
                    Simd.FUNCTIONS.chain(true, a, ao, b, bo, out, oo, n);
                    return true;
                }
                for (int i = 0; i < n; i++) {
                    double g = a[ao + i];
                    out[oo + i] = ChainRule.chainDiv(g, b[bo + i]);
                }
                return true;
            case GATE: // relu's backward, without a branch: half its masks are 0 at random, and mispredicted
                if (Simd.exact(n)) {
                    Simd.FUNCTIONS.gate(a, ao, b, bo, out, oo, n);
                    return true;
                }
                for (int i = 0; i < n; i++) {
                    out[oo + i] = Double.longBitsToDouble(Double.doubleToRawLongBits(a[ao + i]) & ChainRule.positive(b[bo + i]));
                }
                return true;
            default:
                return false;
        }
    }

    static final long ONE_BITS = Double.doubleToRawLongBits(1.0);

    /** {@link Math#signum} without its branches, which random signs mispredict: the same results. */
    static double sign(double x) {
        long bits = Double.doubleToRawLongBits(x);
        long nonZero = ChainRule.positive(Math.abs(x)); // all bits set unless x is +-0 or NaN
        return Double.longBitsToDouble(((ONE_BITS & nonZero) | (bits & ~nonZero)) | (bits & Long.MIN_VALUE));
    }

    /** The common arithmetic of a contiguous row with one number (x * 2, x + 1); false for other ops. */
    private static boolean withScalar(Binary op, double[] a, int ao, double c, double[] out, int oo, int n) {
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] + c;
                }
                return true;
            case SUB:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] - c;
                }
                return true;
            case MUL:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] * c;
                }
                return true;
            case DIV:
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i] / c;
                }
                return true;
            case CHAIN:
                for (int i = 0; i < n; i++) {
                    double g = a[ao + i];
                    out[oo + i] = ChainRule.chain(g, c);
                }
                return true;
            case CHAIN_DIV:
                for (int i = 0; i < n; i++) {
                    double g = a[ao + i];
                    out[oo + i] = ChainRule.chainDiv(g, c);
                }
                return true;
            case POW:
                if (c == 2) {
                    for (int i = 0; i < n; i++) { // pow(x, 2), as pow gives it, vectorised
                        out[oo + i] = a[ao + i] * a[ao + i];
                    }
                    return true;
                }
                if (c == 3 && a != out) { // in place, the range test would read the cube: the general loop
                    // takes that case, one pow (and so one cube) per element
                    for (int i = 0; i < n; i++) { // vectorised; the next loop replaces results out of cube's range
                        out[oo + i] = cube(a[ao + i]);
                    }
                    for (int i = 0; i < n; i++) {
                        if (!inCubeRange(a[ao + i])) {
                            out[oo + i] = Math.pow(a[ao + i], 3);
                        }
                    }
                    return true;
                }
                return false;
            default:
                return false;
        }
    }

    /**
     * a^b as C99's {@code pow} and NumPy's: {@link Math#pow} except that 1^y = 1 for every y, NaN
     * included, and (-1)^(+-Inf) = 1, where {@code Math.pow} gives NaN. Squares (MSE's pow(2)) and
     * first powers skip the call, about 15 ns: a * a is the correctly rounded square, which is what
     * HotSpot's {@code Math.pow(a, 2)} returns (the same bits for 6 * 10^7 random doubles on JDK 17,
     * compiled and interpreted, and on JDK 25), and {@code Math.pow(a, 1)} is a by its specification.
     * Cubes (x^3, and the derivative of x^4) are {@link #cube}, which is more accurate than
     * {@code Math.pow}: they can differ from it in the last bit.
     */
    public static double pow(double a, double b) {
        if (b == 2) {
            return a * a;
        }
        if (b == 3 && inCubeRange(a)) {
            return cube(a);
        }
        if (b == 1) {
            return a;
        }
        return a == 1 || (a == -1 && Double.isInfinite(b)) ? 1 : Math.pow(a, b);
    }

    /**
     * x^3 for |x| in [2^-300, 2^340] ({@link #inCubeRange}): x^2 as a double-double (the square and
     * its exact error by a fused multiply-add), times x, the product's own error added back before the
     * one rounding left. Correctly rounded in 2 * 10^6 of 2 * 10^6 random cases checked against exact
     * arithmetic, where {@code Math.pow(x, 3)} missed in about 1 in 2,000; and vectorised by C2, where
     * {@code Math.pow} is a call per element. Outside the range a product would overflow or its error
     * terms fall below the normal numbers.
     */
    static double cube(double x) {
        double square = x * x;
        double squareErr = Math.fma(x, x, -square);
        double r = square * x;
        return r + Math.fma(squareErr, x, Math.fma(square, x, -r));
    }

    /** Whether {@link #cube} applies: 2^-300 &lt;= |x| &lt;= 2^340 (false for 0, infinities and NaN). */
    static boolean inCubeRange(double x) {
        double m = Math.abs(x);
        return m >= 0x1p-300 && m <= 0x1p340;
    }

    /** out = op(a), element by element. */
    public static double[] unary(Unary op, double[] a) {
        double[] out = Arena.allocate(a.length);
        split(a.length, a.length * 4L, (from, to) -> unary(op, a, out, from, to));
        return out;
    }

    /** out[from, to) = op(a[from, to)), on this thread. */
    public static void unary(Unary op, double[] a, double[] out, int from, int to) {
        if (op != Unary.EXP && Simd.covers(op)) { // float64 exp is exactExp with or without the functions: below
            Simd.FUNCTIONS.unary(op, a, out, from, to);
            return;
        }
        switch (op) {
            case NEG:
                for (int i = from; i < to; i++) {
                    out[i] = -a[i];
                }
                break;
            case EXP:
                if (Simd.exact(to - from)) {
                    Simd.FUNCTIONS.exactExp(a, out, from, to); // Exp.exp's bits, a vector at a time
                } else {
                    Exp.exp(a, from, out, from, to - from);
                }
                break;
            case LOG:
                Log.log(a, out, from, to);
                break;
            case SQRT:
                for (int i = from; i < to; i++) {
                    out[i] = Math.sqrt(a[i]);
                }
                break;
            case TANH:
                Exp.tanh(a, out, from, to);
                break;
            case SIGMOID:
                Exp.sigmoid(a, out, from, to);
                break;
            case RELU:
                for (int i = from; i < to; i++) {
                    out[i] = Math.max(a[i], 0.0); // NaN stays NaN, -0.0 becomes 0.0
                }
                break;
            case SIN:
                for (int i = from; i < to; i++) {
                    out[i] = Math.sin(a[i]);
                }
                break;
            case COS:
                for (int i = from; i < to; i++) {
                    out[i] = Math.cos(a[i]);
                }
                break;
            case ABS:
                for (int i = from; i < to; i++) {
                    out[i] = Math.abs(a[i]);
                }
                break;
            case SIGN:
                for (int i = from; i < to; i++) {
                    out[i] = sign(a[i]);
                }
                break;
            case LOG1P:
                Log.log1p(a, out, from, to);
                break;
            case SOFTPLUS:
                Log.softplus(a, out, from, to);
                break;
            case ERF:
                for (int i = from; i < to; i++) {
                    out[i] = Erf.value(a[i]);
                }
                break;
            default:
                throw new AssertionError(op);
        }
    }

    // ------------------------------------------------------------------ reductions

    /**
     * Sums (or maxes) a [outer, r, inner] block layout over its middle dimension. Sums along a
     * contiguous axis are pairwise (as NumPy's): error O(log r) ulps instead of O(r), and faster.
     */
    public static double[] reduce(boolean max, double[] a, int outer, int r, int inner) {
        double[] out = Arena.allocate(outer * inner);
        if (outer == 1 && inner == 1 && !max) {
            out[0] = inHalves(0, r, (from, n) -> pairwiseSum(a, from, n));
            return out;
        }
        if (outer == 1 && r > 0) { // leading axis (column sums): the threads share out the columns, in memory order
            split(inner, (long) r * inner, (from, to) -> reduceLeading(max, a, r, inner, out, from, to));
            return out;
        }
        split(outer, (long) outer * r * inner, (from, to) -> {
            for (int o = from; o < to; o++) {
                int base = o * r * inner;
                int ob = o * inner;
                if (max && r == 0) {
                    java.util.Arrays.fill(out, ob, ob + inner, Double.NEGATIVE_INFINITY);
                } else if (max && inner == 1) {
                    out[ob] = max(a, base, r); // NaN wins, as in NumPy
                } else if (max) {
                    System.arraycopy(a, base, out, ob, inner);
                    for (int k = 1; k < r; k++) {
                        int src = base + k * inner;
                        for (int i = 0; i < inner; i++) {
                            out[ob + i] = Math.max(out[ob + i], a[src + i]);
                        }
                    }
                } else if (inner == 1) {
                    out[ob] = pairwiseSum(a, base, r);
                } else {
                    java.util.Arrays.fill(out, ob, ob + inner, 0.0);
                    for (int k = 0; k < r; k++) {
                        int src = base + k * inner;
                        for (int i = 0; i < inner; i++) {
                            out[ob + i] += a[src + i];
                        }
                    }
                }
            }
        });
        return out;
    }

    /**
     * Columns {@code from} to {@code to} of the (r, inner) array a, reduced over its r rows into out,
     * row after row as a plain loop would (the same roundings), four rows per pass over out.
     */
    private static void reduceLeading(boolean max, double[] a, int r, int inner, double[] out, int from, int to) {
        System.arraycopy(a, from, out, from, to - from);
        int k = 1;
        for (; k + 3 < r; k += 4) {
            int s0 = k * inner;
            int s1 = s0 + inner;
            int s2 = s1 + inner;
            int s3 = s2 + inner;
            for (int i = from; i < to; i++) {
                out[i] = max ? Math.max(Math.max(Math.max(Math.max(out[i], a[s0 + i]), a[s1 + i]), a[s2 + i]), a[s3 + i])
                        : out[i] + a[s0 + i] + a[s1 + i] + a[s2 + i] + a[s3 + i];
            }
        }
        for (; k < r; k++) {
            int src = k * inner;
            for (int i = from; i < to; i++) {
                out[i] = max ? Math.max(out[i], a[src + i]) : out[i] + a[src + i]; // NaN wins, as in NumPy
            }
        }
    }

    /**
     * The largest of a[from, from + n), n &gt; 0, as a loop of {@code Math.max} gives it: NaN if any is
     * NaN, +0.0 over -0.0. Faster than that loop, which waits on each max before the next: a new
     * maximum is rare, so the comparison's branch is predicted and the comparisons overlap. A NaN
     * ends the scan; a zero maximum, whose sign depends on every zero, is found again by Math.max.
     */
    public static double max(double[] a, int from, int n) {
        if (Simd.exact(n)) {
            return Simd.FUNCTIONS.max(a, from, n);
        }
        double m = a[from];
        if (m != m) {
            return m;
        }
        int end = from + n;
        for (int k = from + 1; k < end; k++) {
            double v = a[k];
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

    /** A pairwise sum over [from, from + n) of some array. */
    interface RangeSum {
        double of(int from, int n);
    }

    /**
     * {@code sum} of [from, from + n), its two top halves on two threads when n is large: the halves
     * {@link #pairwiseSum(double[], int, int)} splits into itself, so the same bits as one call.
     */
    static double inHalves(int from, int n, RangeSum sum) {
        if (!PARALLEL || n < PARALLEL_THRESHOLD) {
            return sum.of(from, n);
        }
        int half = n / 2 / 8 * 8; // pairwiseSum's own split
        double[] parts = new double[2];
        split(2, n, (f, t) -> {
            for (int i = f; i < t; i++) {
                parts[i] = i == 0 ? sum.of(from, half) : sum.of(from + half, n - half);
            }
        });
        return parts[0] + parts[1];
    }

    /** a[from] + ... + a[from + n - 1], pairwise down to blocks of 128 summed with 8 accumulators. */
    public static double pairwiseSum(double[] a, int from, int n) {
        if (n <= 128) {
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

    // ------------------------------------------------------------------ layout

    /** out = a with its axes permuted: out axis i is a's axis perm[i]. */
    public static double[] permute(double[] a, int[] shape, int[] perm) {
        double[] out = Arena.allocate(a.length);
        permute(a, null, out, null, a.length, shape, perm);
        return out;
    }

    /** {@link #permute(double[], int[], int[])} for floats, copied as stored. */
    public static float[] permute(float[] a, int[] shape, int[] perm) {
        float[] out = Arena.allocateFloats(a.length);
        permute(null, a, null, out, a.length, shape, perm);
        return out;
    }

    /** The permutation of doubles {@code a} into {@code out}, or of floats {@code af} into {@code outF}. */
    private static void permute(double[] a, float[] af, double[] out, float[] outF, int length, int[] shape,
                                int[] perm) {
        int rank = shape.length;
        int[] inStrides = Shapes.strides(shape);
        int[] os = new int[rank];
        int[] st = new int[rank];
        for (int i = 0; i < rank; i++) {
            os[i] = shape[perm[i]];
            st[i] = inStrides[perm[i]];
        }
        if (length == 0 || rank == 0) {
            if (a != null) {
                System.arraycopy(a, 0, out, 0, length);
            } else {
                System.arraycopy(af, 0, outF, 0, length);
            }
            return;
        }
        int inner = os[rank - 1];
        int innerStride = st[rank - 1];
        int rows = length / inner;
        split(rows, length, (from, to) -> {
            int[] idx = new int[rank];
            int rem = from;
            int off = 0;
            for (int d = rank - 2; d >= 0; d--) {
                idx[d] = rem % os[d];
                rem /= os[d];
                off += idx[d] * st[d];
            }
            for (int row = from; row < to; row++) {
                int o = row * inner;
                if (a != null) {
                    for (int i = 0; i < inner; i++) {
                        out[o + i] = a[off + i * innerStride];
                    }
                } else {
                    for (int i = 0; i < inner; i++) {
                        outF[o + i] = af[off + i * innerStride];
                    }
                }
                for (int d = rank - 2; d >= 0; d--) {
                    if (++idx[d] < os[d]) {
                        off += st[d];
                        break;
                    }
                    off -= (os[d] - 1) * st[d];
                    idx[d] = 0;
                }
            }
        });
    }

    /** Reads a (broadcastable) array as the larger shape {@code so}, materialised. */
    public static double[] broadcastTo(double[] a, int[] sa, int[] so) {
        double[] zero = {-0.0}; // x + (-0.0) is x for every x, -0.0 included (x + 0.0 turns -0.0 into 0.0)
        return binary(Binary.ADD, a, sa, zero, Shapes.SCALAR, so);
    }

    // ------------------------------------------------------------------ matmul

    /**
     * C += A B for row-major A (n x k) and B (k x m), at the given offsets. Cache-blocked i-k-j loops
     * (a 256 x 512 panel of B stays in L2), four rows of C at a time so each loaded element of B feeds
     * four multiply-adds, in inner loops the JIT vectorises; rows split across two threads.
     */
    public static void gemm(int n, int m, int k, double[] a, int ao, double[] b, int bo, double[] c, int co) {
        final int kc = 256;
        final int mc = 512;
        split(n, 2L * n * m * k, (from, to) -> {
            for (int jj = 0, jEnd; jj < m; jj = jEnd) { // bounds as min(m, jj + mc) in long: no overflow
                jEnd = (int) Math.min(m, (long) jj + mc);
                for (int pp = 0, pEnd; pp < k; pp = pEnd) {
                    pEnd = (int) Math.min(k, (long) pp + kc);
                    int i = from;
                    for (; i + 4 <= to; i += 4) {
                        int c0 = co + i * m;
                        int a0 = ao + i * k;
                        for (int p = pp; p < pEnd; p++) {
                            double x0 = a[a0 + p];
                            double x1 = a[a0 + k + p];
                            double x2 = a[a0 + 2 * k + p];
                            double x3 = a[a0 + 3 * k + p];
                            int bp = bo + p * m;
                            for (int j = jj; j < jEnd; j++) {
                                double bv = b[bp + j];
                                c[c0 + j] += x0 * bv;
                                c[c0 + m + j] += x1 * bv;
                                c[c0 + 2 * m + j] += x2 * bv;
                                c[c0 + 3 * m + j] += x3 * bv;
                            }
                        }
                    }
                    for (; i < to; i++) {
                        int ci = co + i * m;
                        int ai = ao + i * k;
                        for (int p = pp; p < pEnd; p++) {
                            double aip = a[ai + p];
                            int bp = bo + p * m;
                            for (int j = jj; j < jEnd; j++) {
                                c[ci + j] += aip * b[bp + j];
                            }
                        }
                    }
                }
            }
        });
    }
}
