package io.github.jgrad.autodiff.internal;

import java.util.function.LongFunction;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The matrix-multiply kernel behind {@code Tensor.matmul}: C = A B for row-major, contiguous operands.
 *
 * <p>Chosen by measurement (see docs/benchmarks.md): native OpenBLAS, from bytedeco's Maven Central jar,
 * reaches numpy's speed when it reads the operands where they are. Products of at least
 * {@link #NATIVE_MIN_WORK} multiply-adds call {@code cblas_dgemm}: on JDK 22+ on the Java arrays
 * themselves ({@code CriticalGemm}, in the multi-release jar), on older JDKs on copies in per-thread
 * native buffers (reused from call to call; the copies cost about 10% at 1024 x 1024). Smaller
 * products, and every product where the native library does not load (no binary for the platform,
 * or {@code -Djgrad.matmul=java}), use the blocked two-thread Java kernel in {@link Kernels#gemm}.
 */
public final class MatMul {
    /** Below this many multiply-adds the JNI call and copies cost more than the Java kernel saves. */
    public static final long NATIVE_MIN_WORK = 32L * 32 * 32;

    /** Operand size (doubles) up to which a thread keeps its native buffers between calls: 32 MB each. */
    public static final long CACHE_LIMIT = 1L << 22;

    private static final boolean NATIVE = loadNative();
    /** The copy-free path, where the JDK has it (22+) and it binds; null otherwise. */
    private static final Native CRITICAL = NATIVE ? loadCritical() : null;
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private MatMul() {
    }

    /** Loads OpenBLAS; says once, through {@link System.Logger}, when large products fall back to Java. */
    private static boolean loadNative() {
        System.Logger log = System.getLogger("io.github.jgrad");
        if ("java".equals(System.getProperty("jgrad.matmul"))) {
            log.log(System.Logger.Level.INFO, "jgrad: -Djgrad.matmul=java: matrix products run on the Java kernel");
            return false;
        }
        try {
            openblas.blas_get_num_threads();
            // the products also need JavaCPP's own native library, which can be missing where OpenBLAS's
            // loads (found in JavaCPP's cache or the system): without it a large product would throw
            try (DoublePointer probe = new DoublePointer(1)) {
                probe.put(0, 1.0);
            }
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
            log.log(System.Logger.Level.WARNING, "jgrad: native OpenBLAS did not load (" + e + "), so large matrix"
                    + " products run on jgrad's Java kernel, several times slower; add org.bytedeco:openblas and"
                    + " org.bytedeco:javacpp with this platform's classifier to the class path (see the README)");
            return false;
        }
    }

    /**
     * Native {@code dgemm} and {@code sgemm} on Java arrays, with the arguments of
     * {@link #gemm(boolean, boolean, boolean, int, int, int, double[], int, double[], int, double[], int)}.
     */
    public interface Native {
        void gemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, double[] a, int ao, double[] b,
                  int bo, double[] c, int co);

        void sgemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, float[] a, int ao, float[] b,
                   int bo, float[] c, int co);
    }

    /**
     * {@code CriticalGemm} where the JDK has the FFM API's critical calls (22+) and the class is there
     * (a jar built on JDK 22+ carries it in META-INF/versions/22); null where it is absent or cannot
     * bind, as where native access is denied: products then copy, as on JDK 17.
     */
    private static Native loadCritical() {
        if (Runtime.version().feature() < 22 || "copy".equals(System.getProperty("jgrad.matmul"))) {
            return null;
        }
        try {
            return (Native) Class.forName("io.github.jgrad.autodiff.internal.CriticalGemm").getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            System.getLogger("io.github.jgrad").log(System.Logger.Level.DEBUG, "jgrad: matrix products copy their"
                    + " operands to native memory: " + e);
            return null;
        }
    }

    /** Whether large products copy their operands into native memory (JDK 17-21), rather than pass the arrays. */
    public static boolean copiesOperands() {
        return NATIVE && CRITICAL == null;
    }

    /** "openblas" or "java": the kernel large products use on this machine. */
    public static String kernel() {
        return NATIVE ? "openblas" : "java";
    }

    /** C (n x m) = A (n x k) B (k x m), operands at the given offsets; C is overwritten. */
    public static void gemm(int n, int m, int k, double[] a, int ao, double[] b, int bo, double[] c, int co) {
        gemm(false, false, false, n, m, k, a, ao, b, bo, c, co);
    }

    /**
     * C (n x m) = op(A) op(B), plus C's previous contents if {@code accumulate}, where A is stored n x k
     * (k x n if {@code ta}: op transposes it) and B k x m (m x k if {@code tb}), all row-major at the
     * given offsets.
     */
    public static void gemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, double[] a, int ao,
                     double[] b, int bo, double[] c, int co) {
        if (n == 0 || m == 0) {
            return; // C is empty
        }
        if (k == 0) { // an empty sum: C = 0 (or stays as it is)
            if (!accumulate) {
                java.util.Arrays.fill(c, co, co + n * m, 0.0);
            }
            return;
        }
        if (NATIVE && (long) n * m * k >= NATIVE_MIN_WORK) {
            if (CRITICAL != null) {
                CRITICAL.gemm(ta, tb, accumulate, n, m, k, a, ao, b, bo, c, co);
                return;
            }
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

    /**
     * The float32 product: as {@link #gemm(boolean, boolean, boolean, int, int, int, double[], int, double[], int,
     * double[], int)}, with {@code cblas_sgemm} (accumulating in float32, as numpy's and PyTorch's float32
     * products): on JDK 22+ on the Java arrays themselves, on older JDKs on copies in per-thread native
     * buffers. Small products, and all where OpenBLAS does not
     * load, run the double kernel on the widened operands and round the result once.
     */
    public static void sgemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, float[] a, int ao,
                             float[] b, int bo, float[] c, int co) {
        if (n == 0 || m == 0) {
            return;
        }
        if (NATIVE && k > 0 && (long) n * m * k >= NATIVE_MIN_WORK) {
            if (CRITICAL != null) {
                CRITICAL.sgemm(ta, tb, accumulate, n, m, k, a, ao, b, bo, c, co);
                return;
            }
            FLOAT_BUFFERS.get().gemm(ta, tb, accumulate, n, m, k, a, ao, b, bo, c, co);
            return;
        }
        double[] wa = widen(a, ao, n * k);
        double[] wb = widen(b, bo, k * m);
        double[] wc = accumulate ? widen(c, co, n * m) : new double[n * m];
        gemm(ta, tb, accumulate, n, m, k, wa, 0, wb, 0, wc, 0);
        for (int i = 0; i < wc.length; i++) {
            c[co + i] = (float) wc[i];
        }
    }

    private static double[] widen(float[] x, int offset, int length) {
        double[] d = new double[length];
        for (int i = 0; i < length; i++) {
            d[i] = x[offset + i];
        }
        return d;
    }

    private static final ThreadLocal<FloatBuffers> FLOAT_BUFFERS = ThreadLocal.withInitial(FloatBuffers::new);

    /** {@link Buffers} for float32 products: the same life cycle, float elements. */
    private static final class FloatBuffers {
        private FloatPointer a;
        private FloatPointer b;
        private FloatPointer c;

        void gemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, float[] ad, int ao,
                  float[] bd, int bo, float[] cd, int co) {
            long na = (long) n * k;
            long nb = (long) k * m;
            long nc = (long) n * m;
            FloatPointer pa = null;
            FloatPointer pb = null;
            FloatPointer pc = null;
            try {
                pa = na > CACHE_LIMIT ? allocate(na, FloatPointer::new) : (a = fit(a, na, FloatPointer::new));
                pb = nb > CACHE_LIMIT ? allocate(nb, FloatPointer::new) : (b = fit(b, nb, FloatPointer::new));
                pc = nc > CACHE_LIMIT ? allocate(nc, FloatPointer::new) : (c = fit(c, nc, FloatPointer::new));
                pa.put(ad, ao, n * k);
                pb.put(bd, bo, k * m);
                if (accumulate) {
                    pc.put(cd, co, n * m);
                }
                openblas.cblas_sgemm(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                        tb ? openblas.CblasTrans : openblas.CblasNoTrans, n, m, k, 1.0f, pa, ta ? n : k, pb,
                        tb ? k : m, accumulate ? 1.0f : 0.0f, pc, m);
                pc.get(cd, co, n * m);
            } finally {
                freeIfTemporary(pa, a);
                freeIfTemporary(pb, b);
                freeIfTemporary(pc, c);
            }
        }
    }

    /** The rows x cols matrix at {@code offset}, transposed into a new cols x rows array. */
    private static double[] transpose(double[] x, int offset, int rows, int cols) {
        double[] t = Arena.allocate(rows * cols);
        for (int i = 0; i < rows; i++) {
            int src = offset + i * cols;
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[src + j];
            }
        }
        return t;
    }

    /**
     * Native copies of the operands, kept for the thread's next call up to {@link #CACHE_LIMIT}
     * doubles each (32 MB); larger operands get native memory freed as soon as the call returns.
     * Every buffer is retained (JavaCPP reference count), so a {@code PointerScope} the caller has
     * open cannot free it under us; a dead thread's buffers are freed by JavaCPP after a GC.
     */
    private static final class Buffers {
        private DoublePointer a;
        private DoublePointer b;
        private DoublePointer c;

        void gemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, double[] ad, int ao,
                  double[] bd, int bo, double[] cd, int co) {
            long na = (long) n * k;
            long nb = (long) k * m;
            long nc = (long) n * m;
            DoublePointer pa = null;
            DoublePointer pb = null;
            DoublePointer pc = null;
            try {
                pa = na > CACHE_LIMIT ? allocate(na, DoublePointer::new) : (a = fit(a, na, DoublePointer::new));
                pb = nb > CACHE_LIMIT ? allocate(nb, DoublePointer::new) : (b = fit(b, nb, DoublePointer::new));
                pc = nc > CACHE_LIMIT ? allocate(nc, DoublePointer::new) : (c = fit(c, nc, DoublePointer::new));
                pa.put(ad, ao, n * k);
                pb.put(bd, bo, k * m);
                if (accumulate) {
                    pc.put(cd, co, n * m);
                }
                openblas.cblas_dgemm(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                        tb ? openblas.CblasTrans : openblas.CblasNoTrans, n, m, k, 1.0, pa, ta ? n : k, pb,
                        tb ? k : m, accumulate ? 1.0 : 0.0, pc, m);
                pc.get(cd, co, n * m);
            } finally {
                freeIfTemporary(pa, a);
                freeIfTemporary(pb, b);
                freeIfTemporary(pc, c);
            }
        }
    }

    /** {@code p} if it holds {@code size} elements, else a buffer of exactly that size ({@code p} freed). */
    private static <P extends Pointer> P fit(P p, long size, LongFunction<P> make) {
        if (p != null && p.capacity() >= size) {
            return p;
        }
        if (p != null) {
            p.releaseReference();
        }
        return allocate(size, make);
    }

    /** Native memory that only jgrad frees: retained once, released by {@link #fit} or after a call. */
    private static <P extends Pointer> P allocate(long size, LongFunction<P> make) {
        P p = make.apply(size);
        p.retainReference();
        return p;
    }

    private static void freeIfTemporary(Pointer p, Pointer cached) {
        if (p != null && p != cached) {
            p.releaseReference();
        }
    }
}
