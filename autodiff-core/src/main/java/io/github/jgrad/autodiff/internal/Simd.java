package io.github.jgrad.autodiff.internal;

import io.github.jgrad.autodiff.internal.Kernels.Unary;

/**
 * Kernels through the Vector API, where the JVM offers it: JDK 17+ ({@code VectorFunctions}, which
 * a jar built on JDK 22+ carries) on x86-64 with 256- or 512-bit vectors, started with {@code
 * --add-modules jdk.incubator.vector}. There maxima compare a vector at a time, float32 sums widen and add eight
 * floats at a time, float64 exp runs {@code Exp}'s reduction and polynomial a vector at a time, and
 * the chain rule's products and quotients keep a zero gradient zero (and clamp's backward its
 * bounds) with a blend: exact operations, so the results are the scalar kernels' bits.
 *
 * <p>With {@code -Djgrad.functions=vector} as well, exp, log, log1p, tanh, sigmoid, sin and cos also
 * run through it: the JDK computes them 4 to 16 elements per instruction with Intel's short vector
 * math library (SVML), which it ships, as numpy's own SIMD loops do, 2-5 times faster than the
 * scalar kernels. That is a choice of speed over reproducibility, so it is not the default: until C2
 * has compiled a loop, the JDK computes these functions in Java one lane at a time ({@code
 * Math.exp} and the like), and SVML after, so one element can round differently in the first
 * calls of a run than later, and a run does not repeat bit for bit (nor does a run resumed from a
 * checkpoint); results stay within 1-2 ulp of {@code StrictMath} either way. Without the property
 * {@code Exp}'s, {@code Log}'s and {@code Trig}'s kernels run, which give the same bits on every tier.
 * {@code -Djgrad.functions=scalar} turns the Vector API off altogether.
 */
final class Simd {
    /** {@code jgrad.functions}: "vector", "scalar", or unset (see the class comment). */
    private static final String MODE = System.getProperty("jgrad.functions", "");

    /** The Vector API's kernels, or null where the JVM has none or they are turned off. */
    static final Functions FUNCTIONS = load();

    /** Whether exp, log, log1p, tanh, sigmoid, sin and cos run through {@link #FUNCTIONS}. */
    static final boolean VECTOR_FUNCTIONS = FUNCTIONS != null && "vector".equals(MODE);

    /** Whether {@link #FUNCTIONS} sums blocks of floats ({@link Functions#sumOfBlock}). */
    static final boolean SUMS_FLOATS = FUNCTIONS != null && FUNCTIONS.sumsFloats();

    /**
     * The fewest elements an exact kernel of {@link #FUNCTIONS} takes (maxima, sums, exp, the chain
     * rule, clamp's, abs's and x^2's backwards); fewer take the scalar kernel, whose bits they have. Short
     * rows, as softmax's over a classifier's 10 logits, gain nothing from vectors, and in some JVM
     * runs C2 compiled their callers without inlining the vector operations, which then ran the
     * Vector API's Java fallbacks and allocated their lanes: up to 175 KB per MLP step.
     */
    static final int MIN_LENGTH = 64;

    private Simd() {
    }

    /** Whether n elements go through {@link #FUNCTIONS}' exact kernels. */
    static boolean exact(int n) {
        return FUNCTIONS != null && n >= MIN_LENGTH;
    }

    /** Whether {@code op} runs through {@link #FUNCTIONS} (for doubles and floats). */
    static boolean covers(Unary op) {
        return VECTOR_FUNCTIONS && FUNCTIONS.covers(op);
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

        /**
         * out[from, to) = e^a[from, to) with {@code Exp.exp}'s bits: its operations, exact on every
         * tier, a vector at a time.
         */
        void exactExp(double[] a, double[] out, int from, int to);

        /**
         * out[oo, oo + n) = the chain rule's g * d, or g / d with {@code divide}, and +0.0 where g is
         * +-0 whatever d is: {@code ChainRule.chain} and {@code ChainRule.chainDiv} a vector at a time,
         * exact operations, so their bits. g at go, d at dOff.
         */
        void chain(boolean divide, double[] g, int go, double[] d, int dOff, double[] out, int oo, int n);

        /** The same for floats ({@code FloatKernels.chain}, {@code chainDiv}): g and out at [from, to), d at dOff + i. */
        void chain(boolean divide, float[] g, float[] d, int dOff, float[] out, int from, int to);

        /**
         * out = a where b &gt; 0, else +0.0 (relu's backward, {@code Binary.GATE}): a blend, the scalar
         * kernels' bits. n elements, a at ao, b at bo, out at oo.
         */
        void gate(double[] a, int ao, double[] b, int bo, double[] out, int oo, int n);

        /** The same for floats: a and out at [from, to), b at bo + i. */
        void gate(float[] a, float[] b, int bo, float[] out, int from, int to);

        /**
         * out = g * sign(x), +0.0 where g is 0 (abs's backward, {@code Binary.CHAIN_SIGN}): sign(x) by
         * two blends ({@code Kernels.sign}'s +-1, and x itself where it is +-0 or NaN), then the chain
         * rule's product, the scalar kernels' bits. n elements, g at go, x at xo, out at oo.
         */
        void chainSign(double[] g, int go, double[] x, int xo, double[] out, int oo, int n);

        /** The same for floats: g and out at [from, to), x at xo + i. */
        void chainSign(float[] g, float[] x, int xo, float[] out, int from, int to);

        /** out[from, to) = g where low &lt;= x &lt;= high, else +0.0 (clamp's backward, {@code ChainRule.inside}). */
        void inside(double[] g, double[] x, double low, double high, double[] out, int from, int to);

        /** The same for floats, compared with the double bounds as Java compares a float with a double. */
        void inside(float[] g, float[] x, double low, double high, float[] out, int from, int to);

        /**
         * out[from, to) = float32 x^2's backward, {@code (float) ChainRule.chain(g, 2.0 * a)}, with its
         * bits: {@code FloatKernels.squareBackward}'s float product (2g) * a, a vector of floats at a time.
         */
        void squareBackward(float[] g, float[] a, float[] out, int from, int to);

        /** Whether {@link #sumOfBlock} and {@link #addFourRows} are there (vectors of 8 doubles). */
        boolean sumsFloats();

        /**
         * {@code FloatKernels.pairwiseSum}'s base case, 8 &lt;= n &lt;= 128, with its bits: eight sums
         * in double of every eighth float, combined as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)),
         * then the last n % 8 added in order.
         */
        double sumOfBlock(float[] a, int from, int n);

        /**
         * {@code FloatKernels.reduce}'s four rows of a column sum, with its bits: out[ob + i] = out[ob + i]
         * + a[s0 + i] + a[s0 + inner + i] + a[s0 + 2 inner + i] + a[s0 + 3 inner + i], added in that
         * order in double, for i in [from, to); eight floats widened at a time.
         */
        void addFourRows(float[] a, int s0, int inner, double[] out, int ob, int from, int to);
    }

    private static Functions load() {
        if ("scalar".equals(MODE) || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
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
