package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.MatMul;

import java.util.Objects;

/**
 * The matrix-multiply kernel behind {@link Tensor#matmul}, for code that works on plain arrays (custom
 * ops, hand-written baselines): native OpenBLAS where it loads, jgrad's Java kernel elsewhere.
 */
public final class Blas {
    private Blas() {
    }

    /**
     * C = op(A) op(B), overwriting C (n x m, row-major). A is n x k, or k x n with {@code transA} (then
     * op transposes it); B is k x m, or m x k with {@code transB}. No transposed copy is made on the
     * native path.
     *
     * @throws IllegalArgumentException if an array is too short for its shape, or C is the same array
     *     as A or B (C is written while they are read)
     */
    public static void gemm(boolean transA, boolean transB, int n, int m, int k, double[] a, double[] b, double[] c) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(c, "c");
        if (n < 0 || m < 0 || k < 0 || a.length < (long) n * k || b.length < (long) k * m || c.length < (long) n * m) {
            throw new IllegalArgumentException("gemm: arrays of length " + a.length + ", " + b.length + ", " + c.length
                    + " do not hold n x k = " + n + " x " + k + ", k x m = " + k + " x " + m + ", n x m = " + n + " x " + m);
        }
        if (c == a || c == b) {
            throw new IllegalArgumentException("gemm: C must be an array of its own, not A or B; the product"
                    + " overwrites C while it reads A and B");
        }
        MatMul.gemm(transA, transB, false, n, m, k, a, 0, b, 0, c, 0);
    }

    /** "openblas" or "java": the kernel large products use here. */
    public static String kernel() {
        return MatMul.kernel();
    }
}
