package io.github.jgrad.autodiff.internal;

import io.github.jgrad.autodiff.internal.Kernels.Unary;

/**
 * Softmax and log-softmax along any axis, forward and backward, each one pass over memory in its
 * layout: the kernels of the fused primitives (the compositions they replace round the same way).
 */
public final class Softmax {
    private Softmax() {
    }

    /**
     * Softmax (or log-softmax) over the middle dimension of an [outer, r, inner] layout, in memory
     * order: shifted by the maximum (by 0 where that is infinite or NaN, so that a row of -inf gives
     * NaN as x - logSumExp(x) does, not a NaN from inf - inf in the shift), the exponentials summed
     * (pairwise along a contiguous axis), softmax as e / sum and log-softmax as (x - m) - log(sum).
     * The same roundings as the composition max, sub, exp, sum, div (or log, sub) it replaces.
     */
    public static double[] softmax(boolean log, double[] a, int outer, int r, int inner) {
        double[] out = Arena.allocate(a.length);
        if (r > 0) {
            Kernels.split(outer, a.length * 8L, (from, to) -> {
                double[] shift = new double[inner];
                double[] sum = new double[inner];
                for (int o = from; o < to; o++) {
                    if (inner == 1) {
                        softmaxRow(log, a, out, o * r, r);
                    } else {
                        softmaxLanes(log, a, out, o * r * inner, r, inner, shift, sum);
                    }
                }
            });
        }
        return out;
    }

    /**
     * {@link #softmax} of float32 rows (a contiguous last axis), through {@link #floatRows}: the bits
     * of widening the whole array first, without its copy and its extra passes over memory.
     */
    public static float[] softmaxRows(boolean log, float[] a, int outer, int r) {
        return floatRows(new float[][] {a}, outer, r, a.length * 8L, (in, out) -> softmaxRow(log, in[0], out, 0, r));
    }

    /** A row kernel in double: out[0, r) from the rows of the inputs, widened, in[k][0, r). */
    private interface Row {
        void run(double[][] in, double[] out);
    }

    /**
     * float32 rows of length r computed in double a row at a time: each input's row widened into a
     * buffer of doubles, {@code row} run there, its result rounded once into the float result.
     */
    private static float[] floatRows(float[][] inputs, int outer, int r, long work, Row row) {
        float[] out = Arena.allocateFloats(inputs[0].length);
        if (r > 0) {
            Kernels.split(outer, work, (from, to) -> {
                double[][] in = new double[inputs.length][r];
                double[] result = new double[r];
                for (int o = from; o < to; o++) {
                    for (int k = 0; k < inputs.length; k++) {
                        FloatKernels.widen(inputs[k], o * r, in[k], r);
                    }
                    row.run(in, result);
                    FloatKernels.narrow(result, out, o * r, r);
                }
            });
        }
        return out;
    }

    /** Softmax of the contiguous row a[base, base + r). */
    private static void softmaxRow(boolean log, double[] a, double[] out, int base, int r) {
        int end = base + r;
        double m = Kernels.max(a, base, r); // NaN wins
        double shift = Math.abs(m) < Double.POSITIVE_INFINITY ? m : 0;
        for (int k = base; k < end; k++) {
            out[k] = a[k] - shift;
        }
        Kernels.unary(Unary.EXP, out, out, base, end);
        double sum = Kernels.pairwiseSum(out, base, r);
        if (log) {
            double logSum = Log.log(sum); // Tensor.log's bits, as the composition (unless -Djgrad.functions=vector)
            for (int k = base; k < end; k++) {
                out[k] = (a[k] - shift) - logSum;
            }
        } else {
            for (int k = base; k < end; k++) {
                out[k] = out[k] / sum;
            }
        }
    }

    /** Softmax of the inner lanes of the (r, inner) block at base, row after row in memory order. */
    private static void softmaxLanes(boolean log, double[] a, double[] out, int base, int r, int inner,
                                     double[] shift, double[] sum) {
        int end = base + r * inner;
        System.arraycopy(a, base, shift, 0, inner);
        for (int row = base + inner; row < end; row += inner) {
            for (int i = 0; i < inner; i++) {
                shift[i] = Math.max(shift[i], a[row + i]);
            }
        }
        for (int i = 0; i < inner; i++) {
            shift[i] = Math.abs(shift[i]) < Double.POSITIVE_INFINITY ? shift[i] : 0;
            sum[i] = 0;
        }
        for (int row = base; row < end; row += inner) {
            for (int i = 0; i < inner; i++) {
                out[row + i] = a[row + i] - shift[i];
            }
            Kernels.unary(Unary.EXP, out, out, row, row + inner);
            for (int i = 0; i < inner; i++) {
                sum[i] += out[row + i];
            }
        }
        if (log) {
            for (int i = 0; i < inner; i++) {
                sum[i] = Log.log(sum[i]);
            }
            for (int row = base; row < end; row += inner) {
                for (int i = 0; i < inner; i++) {
                    out[row + i] = (a[row + i] - shift[i]) - sum[i];
                }
            }
        } else {
            for (int row = base; row < end; row += inner) {
                for (int i = 0; i < inner; i++) {
                    out[row + i] = out[row + i] / sum[i];
                }
            }
        }
    }

    /**
     * The backward of softmax (or log-softmax) y over the middle dimension of an [outer, r, inner]
     * layout, in memory order: y (g - sum(g y)) for softmax, g - exp(y) sum(g) for log-softmax. The
     * chain rule's zero holds ({@link ChainRule#chain}): where g is 0 along the axis, the gradient is
     * 0 even if y is NaN (a row of -inf, masked by {@code where} after the softmax).
     */
    public static double[] softmaxBackward(boolean log, double[] g, double[] y, int outer, int r, int inner) {
        double[] out = Arena.allocate(y.length);
        Kernels.split(outer, y.length * 4L, (from, to) -> {
            double[] s = new double[inner];
            for (int o = from; o < to; o++) {
                int base = o * r * inner;
                if (inner == 1) {
                    softmaxBackwardRow(log, g, y, out, base, r);
                    continue;
                }
                int end = base + r * inner;
                java.util.Arrays.fill(s, 0);
                for (int row = base; row < end; row += inner) {
                    if (log) {
                        for (int i = 0; i < inner; i++) {
                            s[i] += g[row + i];
                        }
                    } else {
                        for (int i = 0; i < inner; i++) {
                            s[i] += ChainRule.chain(g[row + i], y[row + i]);
                        }
                    }
                }
                for (int row = base; row < end; row += inner) {
                    if (log) {
                        Kernels.unary(Unary.EXP, y, out, row, row + inner); // Tensor.exp's bits
                        for (int i = 0; i < inner; i++) {
                            out[row + i] = g[row + i] - ChainRule.chain(s[i], out[row + i]);
                        }
                    } else {
                        for (int i = 0; i < inner; i++) {
                            out[row + i] = ChainRule.chain(g[row + i] - s[i], y[row + i]);
                        }
                    }
                }
            }
        });
        return out;
    }

    /** {@link #softmaxBackward} of float32 rows (a contiguous last axis), as {@link #softmaxRows}. */
    public static float[] softmaxBackwardRows(boolean log, float[] g, float[] y, int outer, int r) {
        return floatRows(new float[][] {g, y}, outer, r, y.length * 4L,
                (in, out) -> softmaxBackwardRow(log, in[0], in[1], out, 0, r));
    }

    /** {@link #softmaxBackward} of the contiguous row [base, base + r); {@code out} is neither g nor y. */
    private static void softmaxBackwardRow(boolean log, double[] g, double[] y, double[] out, int base, int r) {
        int end = base + r;
        double s;
        if (log) {
            s = Kernels.pairwiseSum(g, base, r);
            if (s == 0) { // exp(y) s is the chain rule's zero even where y is NaN: the plain loop's bits otherwise
                System.arraycopy(g, base, out, base, r);
                return;
            }
            Kernels.unary(Unary.EXP, y, out, base, end);
            for (int k = base; k < end; k++) {
                out[k] = g[k] - out[k] * s;
            }
        } else {
            for (int k = base; k < end; k++) {
                out[k] = g[k] * y[k];
            }
            s = Kernels.pairwiseSum(out, base, r); // as the forward's sum: error O(log r) ulps, not O(r)
            if (Double.isNaN(s)) { // some y is NaN (a finite sum means none is): again, keeping zeros zero
                for (int k = base; k < end; k++) {
                    out[k] = ChainRule.chain(g[k], y[k]);
                }
                s = Kernels.pairwiseSum(out, base, r);
                for (int k = base; k < end; k++) {
                    out[k] = ChainRule.chain(g[k] - s, y[k]);
                }
                return;
            }
            for (int k = base; k < end; k++) {
                out[k] = y[k] * (g[k] - s);
            }
        }
    }
}
