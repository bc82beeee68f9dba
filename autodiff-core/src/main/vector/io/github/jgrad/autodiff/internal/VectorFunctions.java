package io.github.jgrad.autodiff.internal;

import io.github.jgrad.autodiff.internal.Kernels.Unary;
import java.util.EnumSet;
import java.util.Set;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log, log1p, tanh, sigmoid, sin and cos, in float64 and float32, through the Vector API's
 * lane-wise operators, which HotSpot on x86-64 compiles to calls of Intel's short vector math library
 * (SVML, shipped with the JDK): a whole vector of 4-16 elements per call; float64 exp as {@code
 * Exp.exp}'s own reduction and polynomial, a vector at a time, with its bits; maxima, four vectors
 * of running maxima folded at the end; float32 sums, eight floats widened and added at a time; and
 * the chain rule's products and quotients, with a blend where the gradient is zero, and clamp's
 * backward, a blend by two compares.
 * Written against JDK 17's Vector API and compiled by builds on JDK 22+ (src/main/vector: JDK 17's
 * javac cannot be kept from warning of the incubator module), so that the jar carries it for JDK 17
 * on; {@link Simd} loads it where the JVM runs with {@code jdk.incubator.vector}, and uses its
 * functions only when asked to (see there: until C2 compiles a loop the JDK computes them per lane
 * in Java, with other roundings than SVML's).
 *
 * <p>The exact kernels make their constant vectors once, before their loops: on JDK 17, C2 once
 * compiled the chain rule's blend with 0.0 into one caller without intrinsifying its broadcast,
 * which then allocated a vector an iteration (11.8 MB for x^2's backward of 10^6 elements).
 *
 * <p>Each function has a loop of its own, so that C2 sees its operator as a constant (a loop over an
 * operator it cannot fold calls the per-lane fallback, 5-10 times slower than the scalar kernels).
 * The SVML functions' last partial vector goes through a masked load and store, so that, once
 * compiled, every element of an array gets the same function wherever it lies; the exact kernels
 * (float64 exp, the chain rule, clamp's, relu's, abs's and x^2's backwards) end with the scalar kernel,
 * whose bits they have (a masked vector there allocated its lanes on each call).
 *
 * <p>Accuracy (measured against {@code StrictMath} over every exponent and both signs, subnormals,
 * infinities and NaN, and densely where networks live: {@code VectorFunctionsTest}): within 1 ulp
 * for exp, log, log1p, sin and cos, 2 ulp for tanh and sigmoid; in float32 within 1 ulp of {@code
 * StrictMath}'s result rounded to float (as {@code DType} promises); zeros, infinities and NaN
 * exactly as {@code StrictMath} gives them. So results may differ in the last bit or two from those
 * of the scalar kernels. Maxima, sums, the chain rule and clamp's, relu's, abs's and x^2's backwards are
 * exact operations: the scalar kernels' bits.
 */
public final class VectorFunctions implements Simd.Functions {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** As many floats as {@link #D} has doubles. */
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class,
            VectorShape.forBitSize(D.vectorBitSize() / 2));

    /** The functions {@link #unary} computes: by the vector math library, but float64 exp (exactExp). */
    private static final Set<Unary> FUNCTIONS = EnumSet.of(Unary.EXP, Unary.LOG, Unary.LOG1P, Unary.TANH,
            Unary.SIGMOID, Unary.SIN, Unary.COS);

    /** Throws where vectors are narrower than 256 bits: there the JDK has no SVML stubs to call. */
    public VectorFunctions() {
        String arch = System.getProperty("os.arch");
        if (!("amd64".equals(arch) || "x86_64".equals(arch)) || D.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("no vector math library for " + arch + " with "
                    + D.vectorBitSize() + "-bit vectors");
        }
    }

    @Override
    public boolean covers(Unary op) {
        return FUNCTIONS.contains(op);
    }

    @Override
    public void unary(Unary op, double[] a, double[] out, int from, int to) {
        switch (op) {
            case EXP -> exactExp(a, out, from, to); // as fast as SVML's, with the scalar kernel's bits
            case LOG -> log(a, out, from, to);
            case LOG1P -> log1p(a, out, from, to);
            case TANH -> tanh(a, out, from, to);
            case SIGMOID -> sigmoid(a, out, from, to);
            case SIN -> sin(a, out, from, to);
            case COS -> cos(a, out, from, to);
            default -> throw new AssertionError(op);
        }
    }

    @Override
    public void unary(Unary op, float[] a, float[] out, int from, int to) {
        switch (op) {
            case EXP -> exp(a, out, from, to);
            case LOG -> log(a, out, from, to);
            case LOG1P -> log1p(a, out, from, to);
            case TANH -> tanh(a, out, from, to);
            case SIGMOID -> sigmoid(a, out, from, to);
            case SIN -> sin(a, out, from, to);
            case COS -> cos(a, out, from, to);
            default -> throw new AssertionError(op);
        }
    }

    /** A product or quotient and a blend: C2 vectorises neither the scalar kernel's bit mask nor a select. */
    @Override
    public void chain(boolean divide, double[] g, int go, double[] d, int dOff, double[] out, int oo, int n) {
        int i = 0;
        int w = D.length();
        DoubleVector zero = DoubleVector.zero(D);
        if (divide) {
            for (; i <= n - w; i += w) {
                DoubleVector gv = DoubleVector.fromArray(D, g, go + i);
                gv.div(DoubleVector.fromArray(D, d, dOff + i)).blend(zero, gv.compare(VectorOperators.EQ, zero))
                        .intoArray(out, oo + i);
            }
            for (; i < n; i++) {
                out[oo + i] = ChainRule.chainDiv(g[go + i], d[dOff + i]);
            }
        } else {
            for (; i <= n - w; i += w) {
                DoubleVector gv = DoubleVector.fromArray(D, g, go + i);
                gv.mul(DoubleVector.fromArray(D, d, dOff + i)).blend(zero, gv.compare(VectorOperators.EQ, zero))
                        .intoArray(out, oo + i);
            }
            for (; i < n; i++) {
                out[oo + i] = ChainRule.chain(g[go + i], d[dOff + i]);
            }
        }
    }

    @Override
    public void chain(boolean divide, float[] g, float[] d, int dOff, float[] out, int from, int to) {
        int i = from;
        int w = F.length();
        FloatVector zero = FloatVector.zero(F);
        if (divide) {
            for (; i <= to - w; i += w) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                gv.div(FloatVector.fromArray(F, d, dOff + i)).blend(zero, gv.compare(VectorOperators.EQ, zero)).intoArray(out, i);
            }
            for (; i < to; i++) {
                out[i] = FloatKernels.chainDiv(g[i], d[dOff + i]);
            }
        } else {
            for (; i <= to - w; i += w) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                gv.mul(FloatVector.fromArray(F, d, dOff + i)).blend(zero, gv.compare(VectorOperators.EQ, zero)).intoArray(out, i);
            }
            for (; i < to; i++) {
                out[i] = FloatKernels.chain(g[i], d[dOff + i]);
            }
        }
    }

    @Override
    public void gate(double[] a, int ao, double[] b, int bo, double[] out, int oo, int n) {
        int i = 0;
        DoubleVector zero = DoubleVector.zero(D);
        for (int w = D.length(); i <= n - w; i += w) {
            VectorMask<Double> off = DoubleVector.fromArray(D, b, bo + i).compare(VectorOperators.GT, zero).not();
            DoubleVector.fromArray(D, a, ao + i).blend(zero, off).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = b[bo + i] > 0 ? a[ao + i] : 0;
        }
    }

    @Override
    public void gate(float[] a, float[] b, int bo, float[] out, int from, int to) {
        int i = from;
        FloatVector zero = FloatVector.zero(F);
        for (int w = F.length(); i <= to - w; i += w) {
            VectorMask<Float> off = FloatVector.fromArray(F, b, bo + i).compare(VectorOperators.GT, zero).not();
            FloatVector.fromArray(F, a, i).blend(zero, off).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = b[bo + i] > 0 ? a[i] : 0;
        }
    }

    @Override
    public void chainSign(double[] g, int go, double[] x, int xo, double[] out, int oo, int n) {
        int i = 0;
        DoubleVector zero = DoubleVector.zero(D);
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        DoubleVector minusOne = DoubleVector.broadcast(D, -1.0);
        for (int w = D.length(); i <= n - w; i += w) {
            DoubleVector xv = DoubleVector.fromArray(D, x, xo + i);
            DoubleVector sign = xv.blend(one, xv.compare(VectorOperators.GT, zero)).blend(minusOne, xv.compare(VectorOperators.LT, zero));
            DoubleVector gv = DoubleVector.fromArray(D, g, go + i);
            gv.mul(sign).blend(zero, gv.compare(VectorOperators.EQ, zero)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = ChainRule.chain(g[go + i], Kernels.sign(x[xo + i]));
        }
    }

    @Override
    public void chainSign(float[] g, float[] x, int xo, float[] out, int from, int to) {
        int i = from;
        FloatVector zero = FloatVector.zero(F);
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector minusOne = FloatVector.broadcast(F, -1f);
        for (int w = F.length(); i <= to - w; i += w) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + i);
            FloatVector sign = xv.blend(one, xv.compare(VectorOperators.GT, zero)).blend(minusOne, xv.compare(VectorOperators.LT, zero));
            FloatVector gv = FloatVector.fromArray(F, g, i);
            gv.mul(sign).blend(zero, gv.compare(VectorOperators.EQ, zero)).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = FloatKernels.chain(g[i], (float) Kernels.sign(x[xo + i]));
        }
    }

    @Override
    public void inside(double[] g, double[] x, double low, double high, double[] out, int from, int to) {
        int i = from;
        DoubleVector zero = DoubleVector.zero(D);
        DoubleVector lo = DoubleVector.broadcast(D, low);
        DoubleVector hi = DoubleVector.broadcast(D, high);
        for (int w = D.length(); i <= to - w; i += w) {
            DoubleVector xv = DoubleVector.fromArray(D, x, i);
            VectorMask<Double> in = xv.compare(VectorOperators.GE, lo).and(xv.compare(VectorOperators.LE, hi));
            DoubleVector.fromArray(D, g, i).blend(zero, in.not()).intoArray(out, i);
        }
        ChainRule.inside(g, x, low, high, out, i, to, false);
    }

    @Override
    public void inside(float[] g, float[] x, double low, double high, float[] out, int from, int to) {
        float lo = (float) low; // the least float >= low and the greatest <= high: a float compares with them
        float hi = (float) high; // as with the double bounds
        lo = lo < low ? Math.nextUp(lo) : lo;
        hi = hi > high ? Math.nextDown(hi) : hi;
        int i = from;
        FloatVector zero = FloatVector.zero(F);
        FloatVector loV = FloatVector.broadcast(F, lo);
        FloatVector hiV = FloatVector.broadcast(F, hi);
        for (int w = F.length(); i <= to - w; i += w) {
            FloatVector xv = FloatVector.fromArray(F, x, i);
            VectorMask<Float> in = xv.compare(VectorOperators.GE, loV).and(xv.compare(VectorOperators.LE, hiV));
            FloatVector.fromArray(F, g, i).blend(zero, in.not()).intoArray(out, i);
        }
        FloatKernels.inside(g, x, low, high, out, i, to, false);
    }

    /** Four vectors of running maxima, so that no compare waits on the one before it; then one; then scalars. */
    @Override
    public double max(double[] a, int from, int n) {
        int i = from;
        int end = from + n;
        int w = D.length();
        DoubleVector m0 = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
        DoubleVector m1 = m0;
        DoubleVector m2 = m0;
        DoubleVector m3 = m0;
        for (int up = end - 4 * w; i <= up; i += 4 * w) {
            m0 = m0.lanewise(VectorOperators.MAX, DoubleVector.fromArray(D, a, i));
            m1 = m1.lanewise(VectorOperators.MAX, DoubleVector.fromArray(D, a, i + w));
            m2 = m2.lanewise(VectorOperators.MAX, DoubleVector.fromArray(D, a, i + 2 * w));
            m3 = m3.lanewise(VectorOperators.MAX, DoubleVector.fromArray(D, a, i + 3 * w));
        }
        m0 = m0.lanewise(VectorOperators.MAX, m1).lanewise(VectorOperators.MAX, m2.lanewise(VectorOperators.MAX, m3));
        for (int up = end - w; i <= up; i += w) {
            m0 = m0.lanewise(VectorOperators.MAX, DoubleVector.fromArray(D, a, i));
        }
        double m = m0.reduceLanes(VectorOperators.MAX);
        for (; i < end; i++) { // Math.max, as the lanes: a masked last vector allocated on JDK 17
            m = Math.max(m, a[i]);
        }
        return m;
    }

    @Override
    public float max(float[] a, int from, int n) {
        int i = from;
        int end = from + n;
        int w = F.length();
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        FloatVector m2 = m0;
        FloatVector m3 = m0;
        for (int up = end - 4 * w; i <= up; i += 4 * w) {
            m0 = m0.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, a, i));
            m1 = m1.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, a, i + w));
            m2 = m2.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, a, i + 2 * w));
            m3 = m3.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, a, i + 3 * w));
        }
        m0 = m0.lanewise(VectorOperators.MAX, m1).lanewise(VectorOperators.MAX, m2.lanewise(VectorOperators.MAX, m3));
        for (int up = end - w; i <= up; i += w) {
            m0 = m0.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, a, i));
        }
        float m = m0.reduceLanes(VectorOperators.MAX);
        for (; i < end; i++) { // Math.max, as the lanes: a masked last vector allocated on JDK 17
            m = Math.max(m, a[i]);
        }
        return m;
    }

    /**
     * {@code Exp.exp}: the same operations in the same order (products, sums and fused multiply-adds,
     * each exactly rounded on every tier of the JIT, so the same bits as the scalar kernel and {@code
     * Value.exp}), with 2^k built from the bits in the vector; a vector with a lane outside |x| &lt;
     * 707, or NaN, takes the scalar kernel (which gives such lanes {@code Math.exp}).
     */
    @Override
    public void exactExp(double[] a, double[] out, int from, int to) {
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            DoubleVector x = DoubleVector.fromArray(D, a, i);
            if (x.abs().compare(VectorOperators.LT, Exp.LIMIT).allTrue()) {
                exactExp(x).intoArray(out, i);
            } else { // a lane outside |x| < 707, or NaN: the scalar kernel, each element read before it is written
                for (int j = i; j < i + D.length(); j++) { // (out may be a: softmax's rows exponentiate in place)
                    out[j] = Exp.exp(a[j]);
                }
            }
        }
        for (; i < to; i++) { // the scalar kernel, whose bits these are: a masked last vector allocated 328 bytes a call
            out[i] = Exp.exp(a[i]);
        }
    }

    private static DoubleVector exactExp(DoubleVector x) {
        DoubleVector km = x.mul(Exp.LOG2E).add(Exp.SHIFTER);
        DoubleVector minusK = km.sub(Exp.SHIFTER).neg();
        DoubleVector r = minusK.fma(x.broadcast(Exp.LN2_HI), x);
        r = minusK.fma(x.broadcast(Exp.LN2_LO), r);
        DoubleVector q = r.fma(x.broadcast(1.0 / 6227020800L), x.broadcast(1.0 / 479001600));
        q = r.fma(q, x.broadcast(1.0 / 39916800));
        q = r.fma(q, x.broadcast(1.0 / 3628800));
        q = r.fma(q, x.broadcast(1.0 / 362880));
        q = r.fma(q, x.broadcast(1.0 / 40320));
        q = r.fma(q, x.broadcast(1.0 / 5040));
        q = r.fma(q, x.broadcast(1.0 / 720));
        q = r.fma(q, x.broadcast(1.0 / 120));
        q = r.fma(q, x.broadcast(1.0 / 24));
        q = r.fma(q, x.broadcast(1.0 / 6));
        q = r.fma(q, x.broadcast(0.5));
        q = r.fma(q, x.broadcast(1.0));
        DoubleVector p = r.fma(q, x.broadcast(1.0));
        DoubleVector twoToK = km.viewAsIntegralLanes().add(1023).lanewise(VectorOperators.LSHL, 52)
                .viewAsFloatingLanes();
        return p.mul(twoToK);
    }

    /**
     * {@code FloatKernels.squareBackward}'s float product (2g) * a a whole vector of floats at a time,
     * +0.0 where g is 0; a vector with a lane where 2g overflows (|g| &gt;= 2^127) computes those
     * lanes again in double, as the scalar kernel does.
     */
    @Override
    public void squareBackward(float[] g, float[] a, float[] out, int from, int to) {
        int i = from;
        FloatVector zero = FloatVector.zero(F);
        FloatVector two = FloatVector.broadcast(F, 2f);
        FloatVector big = FloatVector.broadcast(F, 0x1p127f);
        for (int up = to - F.length(); i <= up; i += F.length()) {
            FloatVector gv = FloatVector.fromArray(F, g, i);
            FloatVector av = FloatVector.fromArray(F, a, i);
            gv.mul(two).mul(av).blend(zero, gv.compare(VectorOperators.EQ, zero)).intoArray(out, i);
            VectorMask<Float> over = gv.abs().compare(VectorOperators.GE, big);
            if (over.anyTrue()) {
                for (int j = over.firstTrue(); j < F.length(); j++) {
                    if (over.laneIsSet(j)) {
                        out[i + j] = (float) ChainRule.chain(g[i + j], 2.0 * a[i + j]);
                    }
                }
            }
        }
        for (; i < to; i++) {
            out[i] = (float) ChainRule.chain(g[i], 2.0 * a[i]);
        }
    }

    @Override
    public boolean sumsFloats() {
        return D.length() == 8;
    }

    /** Eight floats at a time widened into eight lanes of doubles: lane k is the scalar kernel's s_k. */
    @Override
    public double sumOfBlock(float[] a, int from, int n) {
        DoubleVector s = (DoubleVector) FloatVector.fromArray(HALF, a, from).convertShape(VectorOperators.F2D, D, 0);
        int i = 8;
        for (; i + 8 <= n; i += 8) {
            s = s.add((DoubleVector) FloatVector.fromArray(HALF, a, from + i).convertShape(VectorOperators.F2D, D, 0));
        }
        double sum = ((s.lane(0) + s.lane(1)) + (s.lane(2) + s.lane(3))) + ((s.lane(4) + s.lane(5)) + (s.lane(6) + s.lane(7)));
        for (; i < n; i++) {
            sum += a[from + i];
        }
        return sum;
    }

    @Override
    public void addFourRows(float[] a, int s0, int inner, double[] out, int ob, int from, int to) {
        int s1 = s0 + inner;
        int s2 = s1 + inner;
        int s3 = s2 + inner;
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            DoubleVector.fromArray(D, out, ob + i).add(widen(a, s0 + i)).add(widen(a, s1 + i)).add(widen(a, s2 + i))
                    .add(widen(a, s3 + i)).intoArray(out, ob + i);
        }
        for (; i < to; i++) {
            out[ob + i] = out[ob + i] + a[s0 + i] + a[s1 + i] + a[s2 + i] + a[s3 + i];
        }
    }

    /** As many floats of a, from i, as {@link #D} has lanes, widened. */
    private static DoubleVector widen(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(HALF, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    // One loop per function and type, on purpose (see the class comment).

    private static void log(double[] a, double[] out, int from, int to) {
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            DoubleVector.fromArray(D, a, i).lanewise(VectorOperators.LOG).intoArray(out, i);
        }
        VectorMask<Double> m = D.indexInRange(i, to);
        DoubleVector.fromArray(D, a, i, m).lanewise(VectorOperators.LOG).intoArray(out, i, m);
    }

    private static void log1p(double[] a, double[] out, int from, int to) {
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            DoubleVector.fromArray(D, a, i).lanewise(VectorOperators.LOG1P).intoArray(out, i);
        }
        VectorMask<Double> m = D.indexInRange(i, to);
        DoubleVector.fromArray(D, a, i, m).lanewise(VectorOperators.LOG1P).intoArray(out, i, m);
    }

    private static void tanh(double[] a, double[] out, int from, int to) {
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            DoubleVector.fromArray(D, a, i).lanewise(VectorOperators.TANH).intoArray(out, i);
        }
        VectorMask<Double> m = D.indexInRange(i, to);
        DoubleVector.fromArray(D, a, i, m).lanewise(VectorOperators.TANH).intoArray(out, i, m);
    }

    private static void sin(double[] a, double[] out, int from, int to) {
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            DoubleVector.fromArray(D, a, i).lanewise(VectorOperators.SIN).intoArray(out, i);
        }
        VectorMask<Double> m = D.indexInRange(i, to);
        DoubleVector.fromArray(D, a, i, m).lanewise(VectorOperators.SIN).intoArray(out, i, m);
    }

    private static void cos(double[] a, double[] out, int from, int to) {
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            DoubleVector.fromArray(D, a, i).lanewise(VectorOperators.COS).intoArray(out, i);
        }
        VectorMask<Double> m = D.indexInRange(i, to);
        DoubleVector.fromArray(D, a, i, m).lanewise(VectorOperators.COS).intoArray(out, i, m);
    }

    /** 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, both from e = e^-|x| (never overflows). */
    private static void sigmoid(double[] a, double[] out, int from, int to) {
        int i = from;
        for (int up = to - D.length(); i <= up; i += D.length()) {
            sigmoid(DoubleVector.fromArray(D, a, i)).intoArray(out, i);
        }
        VectorMask<Double> m = D.indexInRange(i, to);
        sigmoid(DoubleVector.fromArray(D, a, i, m)).intoArray(out, i, m);
    }

    private static DoubleVector sigmoid(DoubleVector x) {
        DoubleVector e = x.abs().neg().lanewise(VectorOperators.EXP);
        DoubleVector d = e.add(1.0);
        return d.broadcast(1.0).div(d).blend(e.div(d), x.lt(0.0));
    }

    private static void exp(float[] a, float[] out, int from, int to) {
        int i = from;
        for (int up = to - F.length(); i <= up; i += F.length()) {
            FloatVector.fromArray(F, a, i).lanewise(VectorOperators.EXP).intoArray(out, i);
        }
        VectorMask<Float> m = F.indexInRange(i, to);
        FloatVector.fromArray(F, a, i, m).lanewise(VectorOperators.EXP).intoArray(out, i, m);
    }

    private static void log(float[] a, float[] out, int from, int to) {
        int i = from;
        for (int up = to - F.length(); i <= up; i += F.length()) {
            FloatVector.fromArray(F, a, i).lanewise(VectorOperators.LOG).intoArray(out, i);
        }
        VectorMask<Float> m = F.indexInRange(i, to);
        FloatVector.fromArray(F, a, i, m).lanewise(VectorOperators.LOG).intoArray(out, i, m);
    }

    private static void log1p(float[] a, float[] out, int from, int to) {
        int i = from;
        for (int up = to - F.length(); i <= up; i += F.length()) {
            FloatVector.fromArray(F, a, i).lanewise(VectorOperators.LOG1P).intoArray(out, i);
        }
        VectorMask<Float> m = F.indexInRange(i, to);
        FloatVector.fromArray(F, a, i, m).lanewise(VectorOperators.LOG1P).intoArray(out, i, m);
    }

    private static void tanh(float[] a, float[] out, int from, int to) {
        int i = from;
        for (int up = to - F.length(); i <= up; i += F.length()) {
            FloatVector.fromArray(F, a, i).lanewise(VectorOperators.TANH).intoArray(out, i);
        }
        VectorMask<Float> m = F.indexInRange(i, to);
        FloatVector.fromArray(F, a, i, m).lanewise(VectorOperators.TANH).intoArray(out, i, m);
    }

    private static void sin(float[] a, float[] out, int from, int to) {
        int i = from;
        for (int up = to - F.length(); i <= up; i += F.length()) {
            FloatVector.fromArray(F, a, i).lanewise(VectorOperators.SIN).intoArray(out, i);
        }
        VectorMask<Float> m = F.indexInRange(i, to);
        FloatVector.fromArray(F, a, i, m).lanewise(VectorOperators.SIN).intoArray(out, i, m);
    }

    private static void cos(float[] a, float[] out, int from, int to) {
        int i = from;
        for (int up = to - F.length(); i <= up; i += F.length()) {
            FloatVector.fromArray(F, a, i).lanewise(VectorOperators.COS).intoArray(out, i);
        }
        VectorMask<Float> m = F.indexInRange(i, to);
        FloatVector.fromArray(F, a, i, m).lanewise(VectorOperators.COS).intoArray(out, i, m);
    }

    /**
     * float sigmoid computed in double (half a vector of floats widened), rounded once: float's own
     * e^-|x|, 1 ulp off, would carry into the quotient and leave 2 ulp, where {@code DType} promises 1.
     */
    private static void sigmoid(float[] a, float[] out, int from, int to) {
        int i = from;
        for (int up = to - HALF.length(); i <= up; i += HALF.length()) {
            sigmoid(FloatVector.fromArray(HALF, a, i)).intoArray(out, i);
        }
        VectorMask<Float> m = HALF.indexInRange(i, to);
        sigmoid(FloatVector.fromArray(HALF, a, i, m)).intoArray(out, i, m);
    }

    private static FloatVector sigmoid(FloatVector x) {
        DoubleVector y = sigmoid((DoubleVector) x.convertShape(VectorOperators.F2D, D, 0));
        return (FloatVector) y.convertShape(VectorOperators.D2F, HALF, 0);
    }
}
