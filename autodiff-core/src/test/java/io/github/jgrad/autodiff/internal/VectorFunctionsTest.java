package io.github.jgrad.autodiff.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.jgrad.autodiff.Tensor;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import io.github.jgrad.autodiff.internal.Kernels.Unary;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The Vector API's kernels ({@code VectorFunctions}, JDK 17+ with the module): within the ulps its class comment
 * promises of {@code StrictMath} over every 4999th bit pattern (every exponent, both signs,
 * subnormals, NaNs) and densely where networks live; exactly {@code StrictMath}'s zeros, infinities
 * and NaNs at the edges; the same bits for an element wherever it lies (the masked last vector); and
 * Tensor's functions run on them; maxima and float32 sums with the scalar kernels' bits. The checks
 * run in second JVMs started with {@code --add-modules jdk.incubator.vector} (whose start-up notice
 * of an incubator module is kept out of the build's output), with and without {@code
 * -Djgrad.functions=vector}, and again in a JDK 17 where one is named; where the build had no JDK 22+
 * to make {@code VectorFunctions} they are skipped.
 */
class VectorFunctionsTest {
    private static final double[] EDGES = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, -1e-310,
        1.0, -1.0, 0.5, 2.0, 709.78, 709.79, 710.0, -745.1, -745.2, -746.0, 1e300, -1e300, Double.MAX_VALUE,
        -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 20.0, -20.0, 1e-20,
        Math.PI, -Math.PI / 2, 1e15, 1e22, 88.72284, -103.97, -104.0};

    @Test
    void withoutTheModuleTheScalarKernelsRun() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty());
        assertNull(Simd.FUNCTIONS);
    }

    @Test
    void passInAJvmWithTheVectorApi() throws IOException, InterruptedException {
        String out = runWithTheModule(System.getProperty("java.home"), "-Djgrad.functions=vector", "all");
        assertTrue(out.contains("20 checks passed"), out);
    }

    @Test
    void withoutAskingOnlyTheExactKernelsUseIt() throws IOException, InterruptedException {
        String out = runWithTheModule(System.getProperty("java.home"), "-Djgrad.functions=", "exact");
        assertTrue(out.contains("11 checks passed"), out);
    }

    /**
     * The same checks on JDK 17's Vector API, whose incubator VectorFunctions is written for, in the
     * JDK that the property {@code jgrad.test.jdk17} names (its home), if any: builds on JDK 22+ make
     * the class, and .ci/run's JDK 25 build names its JDK 17.
     */
    @Test
    void passOnJdk17() throws IOException, InterruptedException {
        String home = System.getProperty("jgrad.test.jdk17", "");
        assumeTrue(!home.isEmpty(), "no JDK 17 named by jgrad.test.jdk17");
        String out = runWithTheModule(home, "-Djgrad.functions=vector", "all");
        assertTrue(out.contains("20 checks passed"), out);
        out = runWithTheModule(home, "-Djgrad.functions=", "exact");
        assertTrue(out.contains("11 checks passed"), out);
    }

    /** This class's {@link #main} in a JVM of {@code javaHome} with {@code jdk.incubator.vector}; its output. */
    private static String runWithTheModule(String javaHome, String property, String checks) throws IOException, InterruptedException {
        assumeTrue(hasVectorFunctions(), "VectorFunctions is built on JDK 22+ only (see autodiff-core's pom)");
        Process p = new ProcessBuilder(Path.of(javaHome, "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", property, "-cp", System.getProperty("java.class.path"),
                VectorFunctionsTest.class.getName(), checks).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    private static boolean hasVectorFunctions() {
        return VectorFunctionsTest.class.getClassLoader().getResource("io/github/jgrad/autodiff/internal/VectorFunctions.class") != null;
    }

    /**
     * Runs the checks of this class (in the JVMs {@link #runWithTheModule} starts): "all", with the
     * functions asked for; "exact", the checks of maxima and sums, with the functions not asked for.
     */
    public static void main(String[] args) throws ReflectiveOperationException {
        assertNotNull(Simd.FUNCTIONS, "the Vector API is there, so VectorFunctions should load (x86-64 with AVX2 or AVX-512)");
        boolean all = args[0].equals("all");
        assertEquals(all, Simd.VECTOR_FUNCTIONS, "the functions run through the Vector API only when asked for");
        int passed = 0;
        for (Method m : VectorFunctionsTest.class.getDeclaredMethods()) {
            Check check = m.getAnnotation(Check.class);
            if (check != null && (all || check.exact())) {
                try {
                    m.invoke(null);
                } catch (InvocationTargetException e) {
                    throw new AssertionError(m.getName() + " failed", e.getCause());
                }
                passed++;
            }
        }
        System.out.println(passed + " checks passed");
    }

    /** A check that needs the Vector API (run by {@link #main}). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @interface Check {
        /** Whether it checks an exact kernel (maxima, sums), which runs without the functions asked for. */
        boolean exact() default false;
    }

    /** The distance in ulps between two doubles; 0 for two NaNs; +0 and -0 are 1 apart. */
    static long ulps(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) && Double.isNaN(b) ? 0 : Long.MAX_VALUE;
        }
        long x = Double.doubleToRawLongBits(a);
        long y = Double.doubleToRawLongBits(b);
        x = x < 0 ? Long.MIN_VALUE - x - 1 : x;
        y = y < 0 ? Long.MIN_VALUE - y - 1 : y;
        return Math.abs(x - y);
    }

    private static double[] arguments() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 600_000;
        double[] x = new double[n + EDGES.length];
        long stride = Long.divideUnsigned(-1L, n / 2) | 1;
        long bits = Long.MIN_VALUE;
        for (int i = 0; i < n / 2; i++, bits += stride) {
            x[i] = Double.longBitsToDouble(bits);
        }
        for (int i = n / 2; i < n; i++) {
            x[i] = r.nextGaussian() * (i % 3 == 0 ? 1 : i % 3 == 1 ? 5 : 40);
        }
        System.arraycopy(EDGES, 0, x, n, EDGES.length);
        return x;
    }

    static double sigmoid(double x) {
        double e = StrictMath.exp(-Math.abs(x));
        return x >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    private static void check(Unary op, DoubleUnaryOperator strict, long doubleUlps, long floatUlps) {
        assertTrue(Simd.covers(op), op.toString());
        double[] x = arguments();
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) x[i];
        }
        float[] gotf = new float[x.length];
        Simd.FUNCTIONS.unary(op, xf, gotf, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            float expected = (float) strict.applyAsDouble(xf[i]);
            assertTrue(isEdge(expected) || Math.abs((double) gotf[i] - expected) <= floatUlps * Math.ulp(expected), op + "(" + xf[i] + "f) = " + gotf[i] + ", StrictMath's rounded " + expected);
            if (isEdge(expected)) {
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(gotf[i]), op + "(" + xf[i] + "f)");
            }
        }
        double[] got = new double[x.length];
        Simd.FUNCTIONS.unary(op, x, got, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            double expected = strict.applyAsDouble(x[i]);
            assertTrue(ulps(got[i], expected) <= doubleUlps, op + "(" + x[i] + ") = " + got[i] + ", StrictMath " + expected);
            if (expected == 0 || Double.isInfinite(expected) || Double.isNaN(expected)) {
                assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got[i]), op + "(" + x[i] + ")");
            }
        }
    }

    /** A zero, an infinity or NaN: where a function must give exactly StrictMath's result. */
    private static boolean isEdge(float f) {
        return f == 0 || Float.isInfinite(f) || Float.isNaN(f);
    }

    @Check
    static void expWithinOneUlp() {
        check(Unary.EXP, StrictMath::exp, 1, 1);
    }

    @Check
    static void logWithinOneUlp() {
        check(Unary.LOG, StrictMath::log, 1, 1);
    }

    @Check
    static void log1pWithinOneUlp() {
        check(Unary.LOG1P, StrictMath::log1p, 1, 1);
    }

    @Check
    static void sinAndCosWithinOneUlp() {
        check(Unary.SIN, StrictMath::sin, 1, 1);
        check(Unary.COS, StrictMath::cos, 1, 1);
    }

    @Check
    static void tanhWithinTwoUlpsAndOneInFloat32() {
        check(Unary.TANH, StrictMath::tanh, 2, 1);
    }

    @Check
    static void sigmoidWithinTwoUlpsAndOneInFloat32() {
        check(Unary.SIGMOID, VectorFunctionsTest::sigmoid, 2, 1);
    }

    @Check
    static void anElementGetsTheSameBitsWhereverItLies() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n = 1; n <= 40; n++) { // every tail length of 8 doubles and 16 floats, and offsets
            double v = r.nextDouble(-30, 30);
            double[] a = new double[n + 2];
            float[] af = new float[n + 2];
            java.util.Arrays.fill(a, v);
            java.util.Arrays.fill(af, (float) v);
            for (Unary op : new Unary[] {Unary.EXP, Unary.LOG1P, Unary.SIGMOID, Unary.SIN}) {
                double[] out = new double[n + 2];
                float[] outf = new float[n + 2];
                Simd.FUNCTIONS.unary(op, a, out, 1, n + 1);
                Simd.FUNCTIONS.unary(op, af, outf, 1, n + 1);
                assertEquals(0.0, out[0], 0, "before from");
                assertEquals(0.0, out[n + 1], 0, "at to");
                assertEquals(0f, outf[n + 1], 0, "at to");
                for (int i = 1; i <= n; i++) {
                    assertEquals(Double.doubleToRawLongBits(out[1]), Double.doubleToRawLongBits(out[i]), op + " n=" + n + " i=" + i);
                    assertEquals(Float.floatToRawIntBits(outf[1]), Float.floatToRawIntBits(outf[i]), op + " n=" + n + " i=" + i);
                }
            }
        }
    }

    @Check(exact = true)
    static void float64ExpHasTheScalarKernelsBits() {
        double[] x = arguments();
        for (int round = 0; round < 3; round++) { // the first calls run in the interpreter, later ones compiled
            double[] got = new double[x.length];
            Simd.FUNCTIONS.exactExp(x, got, 0, x.length);
            double[] inPlace = x.clone(); // as softmax's rows and erf's backward call it (a probe found it reading its output)
            Simd.FUNCTIONS.exactExp(inPlace, inPlace, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Double.doubleToRawLongBits(Exp.exp(x[i])), Double.doubleToRawLongBits(got[i]), "exp(" + x[i] + ")");
                assertEquals(Double.doubleToRawLongBits(got[i]), Double.doubleToRawLongBits(inPlace[i]), "exp(" + x[i] + ") in place");
            }
        }
        double[] tail = {-1, 0.5, 800, Double.NaN, -800, 3};
        double[] got = new double[tail.length];
        Simd.FUNCTIONS.exactExp(tail, got, 1, tail.length);
        assertEquals(0.0, got[0], 0, "before from");
        for (int i = 1; i < tail.length; i++) {
            assertEquals(Double.doubleToRawLongBits(Exp.exp(tail[i])), Double.doubleToRawLongBits(got[i]), "exp(" + tail[i] + ")");
        }
    }

    @Check(exact = true)
    static void softmaxOfMaskedLogitsAndErfsBackwardAtInfinity() { // rows of 64 and more: exp through the Vector API, in place
        double[] row = new double[100];
        java.util.Arrays.fill(row, -708);
        row[0] = 0;
        row[1] = Double.NEGATIVE_INFINITY;
        Tensor x = Tensor.of(row, 1, 100);
        double[] y = x.softmax(1).toArray();
        assertEquals(1.0, y[0], 0);
        assertEquals(0.0, y[1], 0);
        assertEquals(Exp.exp(-708), y[2], 0);
        assertEquals(-708.0, x.logSoftmax(1).toArray()[2], 0);
        double[] at = new double[100];
        java.util.Arrays.fill(at, Double.POSITIVE_INFINITY);
        at[0] = 0;
        Tensor a = Tensor.of(at, 100).requiresGrad(true);
        a.erf().sum().backward();
        assertEquals(2 / Math.sqrt(Math.PI), a.grad().toArray()[0], 1e-16);
        assertEquals(0.0, a.grad().toArray()[99], 0);
    }

    @Check(exact = true)
    static void maximaAreMathMaxFolded() {
        SplittableRandom r = new SplittableRandom(9);
        double[] specials = {0.0, -0.0, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -1.0, 1e-310};
        for (int trial = 0; trial < 20_000; trial++) {
            int n = 1 + r.nextInt(70);
            int from = r.nextInt(3);
            double[] a = new double[from + n + 2];
            float[] af = new float[a.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(4) == 0 ? specials[r.nextInt(trial % 2 == 0 ? 2 : specials.length)] : r.nextDouble(-5, 5);
                af[i] = (float) a[i];
            }
            double expected = Double.NEGATIVE_INFINITY;
            float expectedf = Float.NEGATIVE_INFINITY;
            for (int i = from; i < from + n; i++) {
                expected = Math.max(expected, a[i]);
                expectedf = Math.max(expectedf, af[i]);
            }
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(Simd.FUNCTIONS.max(a, from, n)),
                    () -> "max of " + java.util.Arrays.toString(java.util.Arrays.copyOfRange(a, from, from + n)));
            assertEquals(Float.floatToIntBits(expectedf), Float.floatToIntBits(Simd.FUNCTIONS.max(af, from, n)),
                    () -> "max of " + java.util.Arrays.toString(java.util.Arrays.copyOfRange(af, from, from + n)));
        }
    }

    @Check(exact = true)
    static void float32SumsAreFloat64sKernelOnTheWidenedFloats() { // through the Vector API with 8 doubles a vector
        SplittableRandom r = new SplittableRandom(13);
        for (int trial = 0; trial < 3_000; trial++) {
            int n = 1 + r.nextInt(trial < 2_000 ? 300 : 5_000);
            int from = r.nextInt(5);
            float[] a = new float[from + n + 3];
            double[] wide = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4)));
                wide[i] = a[i];
            }
            assertEquals(Double.doubleToLongBits(Kernels.pairwiseSum(wide, from, n)),
                    Double.doubleToLongBits(FloatKernels.pairwiseSum(a, from, n)), "n=" + n + " from=" + from);
        }
    }

    @Check(exact = true)
    static void float32ColumnSumsAreFloat64sKernelOnTheWidenedFloats() { // four rows at a time, through the Vector API
        assertTrue(Simd.SUMS_FLOATS, "vectors of 8 doubles on this machine");
        SplittableRandom r = new SplittableRandom(47);
        for (int trial = 0; trial < 400; trial++) { // the first calls interpreted, later ones compiled
            int rows = 1 + r.nextInt(12);
            int cols = Simd.MIN_LENGTH + r.nextInt(trial < 200 ? 40 : 1_100);
            float[] a = new float[rows * cols];
            double[] wide = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(50) == 0 ? (float) EDGES[r.nextInt(EDGES.length)] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4)));
                wide[i] = a[i];
            }
            double[] expected = Kernels.reduce(false, wide, 1, rows, cols);
            double[] got = FloatKernels.reduce(false, a, 1, rows, cols);
            for (int j = 0; j < cols; j++) {
                assertEquals(Double.doubleToLongBits(expected[j]), Double.doubleToLongBits(got[j]), "column " + j + " of " + rows + " x " + cols);
            }
        }
    }

    @Check(exact = true)
    static void theChainRuleHasTheScalarKernelsBits() {
        SplittableRandom r = new SplittableRandom(17);
        for (int trial = 0; trial < 6_000; trial++) { // the first calls interpreted, later ones compiled
            int n = r.nextInt(70);
            int go = r.nextInt(3);
            int dOff = r.nextInt(3);
            double[] g = new double[go + n + 1];
            double[] d = new double[dOff + n + 1];
            float[] gf = new float[g.length];
            float[] df = new float[d.length];
            for (int i = 0; i < g.length; i++) {
                g[i] = r.nextInt(3) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextGaussian();
                gf[i] = (float) g[i];
            }
            for (int i = 0; i < d.length; i++) {
                d[i] = r.nextInt(3) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextGaussian();
                df[i] = (float) d[i];
            }
            for (boolean divide : new boolean[] {false, true}) {
                double[] got = new double[n + 2];
                float[] gotf = new float[go + n + 1];
                Simd.FUNCTIONS.chain(divide, g, go, d, dOff, got, 1, n);
                Simd.FUNCTIONS.chain(divide, gf, df, dOff - go, gotf, go, go + n);
                assertEquals(0.0, got[0], 0, "before oo");
                for (int i = 0; i < n; i++) {
                    double a = g[go + i];
                    double b = d[dOff + i];
                    float af = gf[go + i];
                    float bf = df[dOff + i];
                    String what = (divide ? "chainDiv(" : "chain(") + a + ", " + b + ")";
                    assertEquals(Double.doubleToRawLongBits(divide ? ChainRule.chainDiv(a, b) : ChainRule.chain(a, b)),
                            Double.doubleToRawLongBits(got[1 + i]), what);
                    assertEquals(Float.floatToRawIntBits(divide ? FloatKernels.chainDiv(af, bf) : FloatKernels.chain(af, bf)),
                            Float.floatToRawIntBits(gotf[go + i]), what + " in float");
                }
            }
        }
    }

    @Check(exact = true)
    static void relusBackwardHasTheScalarKernelsBits() { // a where b > 0, else +0.0: the mask of Binary.GATE
        SplittableRandom r = new SplittableRandom(31);
        for (int trial = 0; trial < 4_000; trial++) { // the first calls interpreted, later ones compiled
            int n = r.nextInt(70);
            int ao = r.nextInt(3);
            int bo = r.nextInt(3);
            double[] a = new double[ao + n];
            double[] b = new double[bo + n];
            float[] af = new float[a.length];
            float[] bf = new float[b.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(4) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextGaussian();
                af[i] = (float) a[i];
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = r.nextInt(3) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextGaussian();
                bf[i] = (float) b[i];
            }
            double[] got = new double[n + 1];
            float[] gotf = new float[a.length];
            Simd.FUNCTIONS.gate(a, ao, b, bo, got, 1, n);
            Simd.FUNCTIONS.gate(af, bf, bo - ao, gotf, ao, ao + n);
            for (int i = 0; i < n; i++) {
                String what = "relu's backward of " + a[ao + i] + " at " + b[bo + i];
                double expected = Double.longBitsToDouble(Double.doubleToRawLongBits(a[ao + i]) & ChainRule.positive(b[bo + i]));
                assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got[1 + i]), what);
                float expectedf = bf[bo + i] > 0 ? af[ao + i] : 0f;
                assertEquals(Float.floatToRawIntBits(expectedf), Float.floatToRawIntBits(gotf[ao + i]), what + " in float");
            }
        }
    }

    @Check(exact = true)
    static void abssBackwardHasTheScalarKernelsBits() { // g * sign(x), +0.0 where g is 0: Binary.CHAIN_SIGN
        SplittableRandom r = new SplittableRandom(43);
        double[] nans = {Double.longBitsToDouble(0x7ff0000000000001L), Double.longBitsToDouble(0xfff8000000000123L)};
        for (int trial = 0; trial < 4_000; trial++) { // the first calls interpreted, later ones compiled
            int n = r.nextInt(70);
            int go = r.nextInt(3);
            int xo = r.nextInt(3);
            double[] g = new double[go + n];
            double[] x = new double[xo + n];
            float[] gf = new float[g.length];
            float[] xf = new float[x.length];
            for (int i = 0; i < g.length; i++) {
                g[i] = r.nextInt(4) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextInt(20) == 0 ? nans[r.nextInt(2)] : r.nextGaussian();
                gf[i] = (float) g[i];
            }
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextInt(3) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextInt(20) == 0 ? nans[r.nextInt(2)] : r.nextGaussian();
                xf[i] = r.nextInt(30) == 0 ? Float.intBitsToFloat(0xff800005) : (float) x[i]; // a signalling float NaN
            }
            double[] got = new double[n + 1];
            float[] gotf = new float[g.length];
            Simd.FUNCTIONS.chainSign(g, go, x, xo, got, 1, n);
            Simd.FUNCTIONS.chainSign(gf, xf, xo - go, gotf, go, go + n);
            assertEquals(0.0, got[0], 0, "before oo");
            for (int i = 0; i < n; i++) { // NaN's payload, which Java leaves open (the JIT may swap a product's operands), aside
                String what = "abs's backward at " + x[xo + i] + " for g = " + g[go + i];
                double expected = ChainRule.chain(g[go + i], Kernels.sign(x[xo + i]));
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(got[1 + i]), what);
                float expectedf = FloatKernels.chain(gf[go + i], (float) Kernels.sign(xf[xo + i]));
                assertEquals(Float.floatToIntBits(expectedf), Float.floatToIntBits(gotf[go + i]), what + " in float");
            }
        }
    }

    @Check(exact = true)
    static void clampsBackwardHasTheScalarKernelsBits() {
        SplittableRandom r = new SplittableRandom(23);
        double[][] bounds = {{0.1, 0.7}, {-0.0, 0.0}, {0.0, 1.0}, {-1.0, -0.0}, {Double.NEGATIVE_INFINITY, 0.3},
            {-2.5, Double.POSITIVE_INFINITY}, {1e-50, 1e300}, {-1e300, -1e-50}, {0.5, 0.5}, {(float) 0.1, (float) 0.1}};
        for (int trial = 0; trial < 4_000; trial++) { // the first calls interpreted, later ones compiled
            int n = r.nextInt(70);
            int from = r.nextInt(3);
            double[] g = new double[from + n];
            double[] x = new double[from + n];
            float[] gf = new float[g.length];
            float[] xf = new float[x.length];
            for (int i = 0; i < g.length; i++) {
                g[i] = r.nextInt(4) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextGaussian();
                x[i] = r.nextInt(4) == 0 ? EDGES[r.nextInt(EDGES.length)] : r.nextInt(3) == 0 ? (float) 0.1 : r.nextDouble(-3, 3);
                gf[i] = (float) g[i];
                xf[i] = (float) x[i];
            }
            double[] b = bounds[trial % bounds.length];
            double[] got = new double[g.length];
            double[] expected = new double[g.length];
            float[] gotf = new float[g.length];
            float[] expectedf = new float[g.length];
            Simd.FUNCTIONS.inside(g, x, b[0], b[1], got, from, from + n);
            ChainRule.inside(g, x, b[0], b[1], expected, from, from + n, false);
            Simd.FUNCTIONS.inside(gf, xf, b[0], b[1], gotf, from, from + n);
            FloatKernels.inside(gf, xf, b[0], b[1], expectedf, from, from + n, false);
            for (int i = 0; i < g.length; i++) {
                String what = "clamp's backward at " + x[i] + " in [" + b[0] + ", " + b[1] + "], g = " + g[i];
                assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(got[i]), what);
                assertEquals(Float.floatToRawIntBits(expectedf[i]), Float.floatToRawIntBits(gotf[i]), what + " in float");
            }
        }
    }

    @Check(exact = true)
    static void float32SquaresBackwardHasTheScalarKernelsBits() { // (2g) * a in float lanes, redone in double where 2g overflows
        float[] v = {0, -0f, 1, -1, 0.1f, 3, -7.5f, 1e-20f, 1e20f, 0x1p-149f, -0x1p-149f, 0x1.8p-148f, 0x1p-126f, 0x1.fffffep126f,
            0x1p127f, -0x1.5p127f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        SplittableRandom r = new SplittableRandom(37);
        for (int trial = 0; trial < 3_000; trial++) { // the first calls interpreted, later ones compiled
            int n = trial == 0 ? v.length * v.length : r.nextInt(70);
            int from = r.nextInt(3);
            float[] g = new float[from + n + 1];
            float[] a = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                int k = trial == 0 ? Math.max(i - from, 0) : r.nextInt(v.length * v.length);
                boolean edge = trial == 0 || r.nextInt(3) == 0;
                g[i] = edge ? v[k / v.length % v.length] : (float) r.nextGaussian() * (i % 7 == 0 ? 0x1p127f : 1);
                a[i] = edge ? v[k % v.length] : (float) r.nextGaussian();
            }
            float[] got = new float[g.length];
            Simd.FUNCTIONS.squareBackward(g, a, got, from, from + n);
            for (int i = 0; i < g.length; i++) {
                float expected = i < from || i >= from + n ? 0f : (float) ChainRule.chain(g[i], 2.0 * a[i]);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got[i]),
                        "x^2's backward at " + a[i] + " for g = " + g[i] + " (element " + i + " of [" + from + ", " + (from + n) + "))");
            }
        }
    }

    @Check(exact = true)
    static void fusedBackwardsKeepTheChainRulesBits() { // tanh, sigmoid, log1p, sqrt, pow, sin, cos, softplus: ChainRule.chained
        SplittableRandom r = new SplittableRandom(19);
        int n = 1_037;
        double[] x = new double[n];
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 11 == 0 ? EDGES[r.nextInt(EDGES.length)] : i % 13 == 0 ? -1 : r.nextDouble(-3, 3);
            g[i] = i % 3 == 0 ? 0.0 : i % 17 == 0 ? -0.0 : r.nextGaussian();
        }
        double[] tanh = Tensor.of(x, n).tanh().toArray();
        double[] sigmoid = Tensor.of(x, n).sigmoid().toArray();
        double[] root = Tensor.of(x, n).sqrt().toArray();
        for (int round = 0; round < 3; round++) { // interpreted, then compiled
            double[][] got = new double[4][];
            String[] ops = {"tanh", "sigmoid", "log1p", "sqrt"};
            for (int k = 0; k < 4; k++) {
                Tensor a = Tensor.of(x, n).requiresGrad(true);
                Tensor y = k == 0 ? a.tanh() : k == 1 ? a.sigmoid() : k == 2 ? a.log1p() : a.sqrt();
                y.backward(Tensor.of(g, n));
                got[k] = a.grad().toArray();
            }
            for (double e : new double[] {2, 3, 0, 0.5, -1}) { // pow's backward towards its base, one exponent
                Tensor a = Tensor.of(x, n).requiresGrad(true);
                a.pow(e).backward(Tensor.of(g, n));
                double[] gotPow = a.grad().toArray();
                for (int i = 0; i < n; i++) {
                    double expected = ChainRule.chain(g[i], e == 0 ? 0 : e * Kernels.pow(x[i], e - 1));
                    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(gotPow[i]),
                            "pow(x, " + e + ")'s gradient at " + x[i] + " for g = " + g[i]);
                }
            }
            if (!Simd.VECTOR_FUNCTIONS) { // sin's and cos's backwards: -(g * sin(a)) for cos; SVML's are not repeatable
                double[] cos = new double[n];
                double[] sin = new double[n];
                Kernels.unary(Unary.COS, x, cos, 0, n);
                Kernels.unary(Unary.SIN, x, sin, 0, n);
                Tensor b = Tensor.of(x, n).requiresGrad(true);
                b.cos().backward(Tensor.of(g, n));
                double[] gotCos = b.grad().toArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(Double.doubleToRawLongBits(-ChainRule.chain(g[i], sin[i])), Double.doubleToRawLongBits(gotCos[i]),
                            "cos's gradient at " + x[i] + " for g = " + g[i]);
                }
                Tensor c = Tensor.of(x, n).requiresGrad(true);
                c.sin().backward(Tensor.of(g, n));
                double[] gotSin = c.grad().toArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(Double.doubleToRawLongBits(ChainRule.chain(g[i], cos[i])), Double.doubleToRawLongBits(gotSin[i]),
                            "sin's gradient at " + x[i] + " for g = " + g[i]);
                }
                double[] sigmoidOfX = new double[n];
                Kernels.unary(Unary.SIGMOID, x, sigmoidOfX, 0, n);
                Tensor d = Tensor.of(x, n).requiresGrad(true);
                d.softplus().backward(Tensor.of(g, n));
                double[] gotSoftplus = d.grad().toArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(Double.doubleToRawLongBits(ChainRule.chain(g[i], sigmoidOfX[i])), Double.doubleToRawLongBits(gotSoftplus[i]),
                            "softplus's gradient at " + x[i] + " for g = " + g[i]);
                }
            }
            float[] xf = new float[n];
            float[] gf = new float[n];
            for (int i = 0; i < n; i++) {
                xf[i] = (float) x[i];
                gf[i] = (float) g[i];
            }
            Tensor af = Tensor.of(xf, n).requiresGrad(true);
            Tensor rootf = af.sqrt();
            rootf.backward(Tensor.of(gf, n));
            float[] yf = rootf.toFloatArray();
            float[] gotf = af.grad().toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(FloatKernels.chainDiv(gf[i], 2 * yf[i])), Float.floatToRawIntBits(gotf[i]),
                        "float32 sqrt's gradient at " + xf[i] + " for g = " + gf[i]);
            }
            for (float scale : new float[] {1, 0x1p127f}) { // 2g overflows float where g >= 2^127, not double
                float[] gs = new float[n];
                for (int i = 0; i < n; i++) {
                    gs[i] = gf[i] * (i % 2 == 0 ? scale : 1);
                }
                Tensor square = Tensor.of(xf, n).requiresGrad(true);
                square.pow(2).backward(Tensor.of(gs, n));
                float[] gotSquare = square.grad().toFloatArray();
                for (int i = 0; i < n; i++) { // float64's result on the widened floats, rounded once
                    assertEquals(Float.floatToRawIntBits((float) ChainRule.chain(gs[i], 2.0 * xf[i])),
                            Float.floatToRawIntBits(gotSquare[i]), "float32 x^2's gradient at " + xf[i] + " for g = " + gs[i]);
                }
            }
            for (int i = 0; i < n; i++) {
                double[] expected = {ChainRule.chain(g[i], 1 - tanh[i] * tanh[i]), ChainRule.chain(g[i], sigmoid[i] * (1 - sigmoid[i])),
                    ChainRule.chainDiv(g[i], x[i] + 1), ChainRule.chainDiv(g[i], 2 * root[i])};
                for (int k = 0; k < 4; k++) {
                    assertEquals(Double.doubleToRawLongBits(expected[k]), Double.doubleToRawLongBits(got[k][i]),
                            ops[k] + "'s gradient at " + x[i] + " for g = " + g[i]);
                }
            }
        }
    }

    @Check
    static void float32SinCosAndSoftplusBackwardsRunOnFloatsWithinTwoUlps() { // g * cos(a), -(g * sin(a)), g * sigmoid(a)
        SplittableRandom r = new SplittableRandom(41);
        int n = 20_011;
        float[] x = new float[n];
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 11 == 0 ? (float) EDGES[r.nextInt(EDGES.length)] : (float) (r.nextGaussian() * (i % 3 == 0 ? 1 : i % 3 == 1 ? 20 : 1e4));
            g[i] = i % 5 == 0 ? 0f : i % 17 == 0 ? -0f : (float) r.nextGaussian();
        }
        x[1] = -103.97209f; // sigmoid below float's normal range (a probe's cases: softplus's gradient lost its digits)
        g[1] = 0x1p127f;
        x[2] = -708.3964f;
        g[2] = Float.POSITIVE_INFINITY;
        for (int op = 0; op < 3; op++) {
            Tensor a = Tensor.of(x, n).requiresGrad(true);
            (op == 0 ? a.sin() : op == 1 ? a.cos() : a.softplus()).backward(Tensor.of(g, n));
            float[] got = a.grad().toFloatArray();
            for (int i = 0; i < n; i++) {
                String what = new String[] {"sin", "cos", "softplus"}[op] + "'s gradient at " + x[i] + " for g = " + g[i];
                float expected = (float) (op == 0 ? ChainRule.chain(g[i], StrictMath.cos(x[i]))
                        : op == 1 ? -ChainRule.chain(g[i], StrictMath.sin(x[i])) : ChainRule.chain(g[i], sigmoid(x[i])));
                if (g[i] == 0 || !Float.isFinite(expected)) { // 0 where g is 0 (-0 for cos), NaN at infinities, exactly
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got[i]), what);
                } else {
                    assertTrue(Math.abs((double) got[i] - expected) <= 2 * Math.ulp(expected), what + ": " + got[i] + ", expected " + expected);
                }
            }
        }
    }

    @Check
    static void tensorsFunctionsRunOnThem() {
        double[] x = {-3, -0.5, 0, 0.25, 1, 2, 7, 11, 13, 17, 19};
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) x[i];
        }
        double[] expected = new double[x.length];
        float[] expectedf = new float[x.length];
        Simd.FUNCTIONS.unary(Unary.EXP, x, expected, 0, x.length);
        Simd.FUNCTIONS.unary(Unary.TANH, xf, expectedf, 0, x.length);
        assertArrayEquals(expected, Tensor.of(x, x.length).exp().toArray());
        assertArrayEquals(expectedf, Tensor.of(xf, xf.length).tanh().toFloatArray());
    }
}
