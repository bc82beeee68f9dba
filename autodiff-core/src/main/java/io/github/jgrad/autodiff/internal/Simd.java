package io.github.jgrad.autodiff.internal;

import io.github.jgrad.autodiff.internal.Kernels.Unary;

/**
 * Element-wise functions through the Vector API, where the JVM offers it: JDK 22+ (the
 * multi-release jar's {@code VectorFunctions}) on x86-64 with 256- or 512-bit vectors, started with
 * {@code --add-modules jdk.incubator.vector}. There the JDK computes exp, log, log1p, tanh, sin and
 * cos of 4 to 16 elements per instruction with Intel's short vector math library, which it ships,
 * as numpy's own SIMD loops do; maxima compare a vector at a time, and float32 sums widen and add
 * eight floats at a time. Everywhere else {@link #FUNCTIONS} is null and {@code Exp}'s,
 * {@code Log}'s and {@code Trig}'s kernels run. {@code -Djgrad.functions=scalar} keeps those kernels
 * even where the Vector API is there.
 */
final class Simd {
    /** The Vector API's kernels, or null where the JVM has none (see the class comment). */
    static final Functions FUNCTIONS = load();

    /** Whether {@link #FUNCTIONS} sums blocks of floats ({@link Functions#sumOfBlock}). */
    static final boolean SUMS_FLOATS = FUNCTIONS != null && FUNCTIONS.sumsFloats();

    private Simd() {
    }

    /** Whether {@link #FUNCTIONS} has kernels (for doubles and floats) for {@code op}. */
    static boolean covers(Unary op) {
        return FUNCTIONS != null && FUNCTIONS.covers(op);
    }

    /** Kernels for some of {@link Unary}'s functions. */
    interface Functions {
        /** Whether {@code op} has kernels here, for doubles and for floats. */
        boolean covers(Unary op);

        /** out[from, to) = op(a[from, to)), for an op it {@link #covers}. */
        void unary(Unary op, double[] a, double[] out, int from, int to);

        /** The same for floats. */
        void unary(Unary op, float[] a, float[] out, int from, int to);

        /** The largest of a[from, from + n), n &gt; 0, as {@code Math.max} folds them (NaN wins, +0 over -0). */
        double max(double[] a, int from, int n);

        /** The same for floats. */
        float max(float[] a, int from, int n);

        /** Whether {@link #sumOfBlock} is there (vectors of 8 doubles). */
        boolean sumsFloats();

        /**
         * {@code FloatKernels.pairwiseSum}'s base case, 8 &lt;= n &lt;= 128, with its bits: eight sums
         * in double of every eighth float, combined as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)),
         * then the last n % 8 added in order.
         */
        double sumOfBlock(float[] a, int from, int n);
    }

    private static Functions load() {
        if (Runtime.version().feature() < 22 || "scalar".equals(System.getProperty("jgrad.functions"))
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return null;
        }
        try {
            return (Functions) Class.forName("io.github.jgrad.autodiff.internal.VectorFunctions").getConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            System.getLogger("io.github.jgrad").log(System.Logger.Level.DEBUG, "jgrad: element-wise functions"
                    + " run without the Vector API: " + e);
            return null;
        }
    }
}
