package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.SplittableRandom;

/**
 * How a layer's weights start: a seeded distribution scaled by the layer's fan-in and fan-out.
 * The same seed always gives the same weights.
 */
@FunctionalInterface
public interface Init {
    /** A weight tensor of {@code shape} for a layer with the given fans. */
    Tensor create(long seed, int fanIn, int fanOut, int... shape);

    /** Glorot/Xavier uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)); for tanh and sigmoid layers. */
    static Init xavierUniform() {
        return (seed, fanIn, fanOut, shape) -> {
            double a = Math.sqrt(6.0 / fans("xavierUniform", fanIn, fanOut, (long) fanIn + fanOut));
            return Tensor.uniform(new SplittableRandom(seed), -a, a, shape);
        };
    }

    /** Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)). */
    static Init xavierNormal() {
        return (seed, fanIn, fanOut, shape) ->
                Tensor.randn(new SplittableRandom(seed), shape)
                        .mul(Math.sqrt(2.0 / fans("xavierNormal", fanIn, fanOut, (long) fanIn + fanOut)));
    }

    /** He/Kaiming uniform: U(-a, a), a = sqrt(6 / fanIn); for ReLU layers. */
    static Init heUniform() {
        return (seed, fanIn, fanOut, shape) -> {
            double a = Math.sqrt(6.0 / fans("heUniform", fanIn, fanOut, fanIn));
            return Tensor.uniform(new SplittableRandom(seed), -a, a, shape);
        };
    }

    /** He/Kaiming normal: N(0, 2 / fanIn). */
    static Init heNormal() {
        return (seed, fanIn, fanOut, shape) ->
                Tensor.randn(new SplittableRandom(seed), shape)
                        .mul(Math.sqrt(2.0 / fans("heNormal", fanIn, fanOut, fanIn)));
    }

    /**
     * {@code fan}, the divisor of an initialiser's variance, once the fans are checked: neither may be
     * negative and the divisor must be at least 1 (a zero fan would give infinite or NaN weights).
     */
    private static double fans(String init, int fanIn, int fanOut, long fan) {
        if (fanIn < 0 || fanOut < 0 || fan < 1) {
            throw new IllegalArgumentException(init + ": fans must be >= 0 and give a positive divisor; got fanIn="
                    + fanIn + ", fanOut=" + fanOut);
        }
        return fan; // a long: fanIn + fanOut may pass Integer.MAX_VALUE (capping it there widened the bound by sqrt 2)
    }

    /** All zeros (for biases, or to test). */
    static Init zeros() {
        return (seed, fanIn, fanOut, shape) -> Tensor.zeros(shape);
    }
}
