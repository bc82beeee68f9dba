package io.github.jgrad.autodiff;

/** The matrix-multiply kernel behind {@link Tensor#matmul}: C = A B for row-major, contiguous operands. */
final class MatMul {
    private MatMul() {
    }

    /** C (n x m, zero on entry) = A (n x k) B (k x m), operands at the given offsets. */
    static void gemm(int n, int m, int k, double[] a, int ao, double[] b, int bo, double[] c, int co) {
        Kernels.gemm(n, m, k, a, ao, b, bo, c, co);
    }
}
