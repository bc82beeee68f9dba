package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;

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
            double a = Math.sqrt(6.0 / (fanIn + fanOut));
            return Tensor.uniform(seed, -a, a, shape);
        };
    }

    /** Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)). */
    static Init xavierNormal() {
        return (seed, fanIn, fanOut, shape) -> Tensor.randn(seed, shape).mul(Math.sqrt(2.0 / (fanIn + fanOut)));
    }

    /** He/Kaiming uniform: U(-a, a), a = sqrt(6 / fanIn); for ReLU layers. */
    static Init heUniform() {
        return (seed, fanIn, fanOut, shape) -> {
            double a = Math.sqrt(6.0 / fanIn);
            return Tensor.uniform(seed, -a, a, shape);
        };
    }

    /** He/Kaiming normal: N(0, 2 / fanIn). */
    static Init heNormal() {
        return (seed, fanIn, fanOut, shape) -> Tensor.randn(seed, shape).mul(Math.sqrt(2.0 / fanIn));
    }

    /** All zeros (for biases, or to test). */
    static Init zeros() {
        return (seed, fanIn, fanOut, shape) -> Tensor.zeros(shape);
    }
}
