package io.github.jgrad.autodiff;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The matrix-multiply kernel behind {@link Tensor#matmul}: C = A B for row-major, contiguous operands.
 *
 * <p>Chosen by measurement (see the README): native OpenBLAS, from bytedeco's Maven Central jar,
 * reaches numpy's speed when its operands live in native memory, so products of at least
 * {@link #NATIVE_MIN_WORK} multiply-adds copy their operands into per-thread native buffers (reused
 * from call to call) and call {@code cblas_dgemm}; the copies cost about 10% at 1024 x 1024. Smaller
 * products, and every product where the native library does not load (no binary for the platform,
 * or {@code -Djgrad.matmul=java}), use the blocked two-thread Java kernel in {@link Kernels#gemm}.
 */
final class MatMul {
    /** Below this many multiply-adds the JNI call and copies cost more than the Java kernel saves. */
    static final long NATIVE_MIN_WORK = 32L * 32 * 32;

    private static final boolean NATIVE = loadNative();
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private MatMul() {
    }

    private static boolean loadNative() {
        if ("java".equals(System.getProperty("jgrad.matmul"))) {
            return false;
        }
        try {
            openblas.blas_get_num_threads();
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
            return false;
        }
    }

    /** "openblas" or "java": the kernel large products use on this machine. */
    static String kernel() {
        return NATIVE ? "openblas" : "java";
    }

    /** C (n x m) = A (n x k) B (k x m), operands at the given offsets; C is overwritten. */
    static void gemm(int n, int m, int k, double[] a, int ao, double[] b, int bo, double[] c, int co) {
        gemm(false, false, false, n, m, k, a, ao, b, bo, c, co);
    }

    /**
     * C (n x m) = op(A) op(B), plus C's previous contents if {@code accumulate}, where A is stored n x k
     * (k x n if {@code ta}: op transposes it) and B k x m (m x k if {@code tb}), all row-major at the
     * given offsets.
     */
    static void gemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, double[] a, int ao,
                     double[] b, int bo, double[] c, int co) {
        if (NATIVE && (long) n * m * k >= NATIVE_MIN_WORK) {
            BUFFERS.get().gemm(ta, tb, accumulate, n, m, k, a, ao, b, bo, c, co);
            return;
        }
        if (!accumulate) {
            java.util.Arrays.fill(c, co, co + n * m, 0.0);
        }
        if (ta) {
            a = transpose(a, ao, k, n);
            ao = 0;
        }
        if (tb) {
            b = transpose(b, bo, m, k);
            bo = 0;
        }
        Kernels.gemm(n, m, k, a, ao, b, bo, c, co);
    }

    /** The rows x cols matrix at {@code offset}, transposed into a new cols x rows array. */
    private static double[] transpose(double[] x, int offset, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            int src = offset + i * cols;
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[src + j];
            }
        }
        return t;
    }

    /** Native copies of the operands, grown as needed and kept for the thread's next call. */
    private static final class Buffers {
        private DoublePointer a = new DoublePointer(0L);
        private DoublePointer b = new DoublePointer(0L);
        private DoublePointer c = new DoublePointer(0L);

        void gemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, double[] ad, int ao,
                  double[] bd, int bo, double[] cd, int co) {
            a = fit(a, (long) n * k);
            b = fit(b, (long) k * m);
            c = fit(c, (long) n * m);
            a.put(ad, ao, n * k);
            b.put(bd, bo, k * m);
            if (accumulate) {
                c.put(cd, co, n * m);
            }
            openblas.cblas_dgemm(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                    tb ? openblas.CblasTrans : openblas.CblasNoTrans, n, m, k, 1.0, a, ta ? n : k, b, tb ? k : m,
                    accumulate ? 1.0 : 0.0, c, m);
            c.get(cd, co, n * m);
        }

        private static DoublePointer fit(DoublePointer p, long size) {
            if (p.capacity() >= size) {
                return p;
            }
            p.close();
            return new DoublePointer(Math.max(size, p.capacity() * 2));
        }
    }
}
