package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.function.UnaryOperator;

/** A parameter-free element-wise function as a module: ReLU, Tanh, Sigmoid, LeakyReLU, GELU (exact and tanh). */
public final class Activation extends Module {
    /** 1/sqrt(2), correctly rounded (C's M_SQRT1_2). */
    private static final double SQRT1_2 = 0.7071067811865476;

    private final String name;
    private final UnaryOperator<Tensor> f;
    private final boolean reluLike;

    private Activation(String name, UnaryOperator<Tensor> f, boolean reluLike) {
        this.name = name;
        this.f = f;
        this.reluLike = reluLike;
    }

    /** max(0, x). */
    public static Activation relu() {
        return new Activation("ReLU", Tensor::relu, true);
    }

    /** tanh(x). */
    public static Activation tanh() {
        return new Activation("Tanh", Tensor::tanh, false);
    }

    /** 1 / (1 + e^-x). */
    public static Activation sigmoid() {
        return new Activation("Sigmoid", Tensor::sigmoid, false);
    }

    /** x for x > 0, slope * x otherwise; the derivative at 0 is the slope, as in PyTorch. */
    public static Activation leakyRelu(double slope) {
        return new Activation("LeakyReLU(" + slope + ")", x -> Tensor.where(x.gt(0), x, x.mul(slope)), true);
    }

    /**
     * GELU, x times the standard normal distribution function: 0.5 x (1 + erf(x / sqrt(2))), computed
     * as PyTorch's default {@code nn.GELU()} computes it.
     */
    public static Activation gelu() {
        return new Activation("GELU", x -> x.mul(0.5).mul(x.mul(SQRT1_2).erf().add(1)), true);
    }

    /**
     * GELU in the tanh approximation (PyTorch's {@code nn.GELU(approximate="tanh")}, used by GPT-2
     * and BERT): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); within 5e-4 of {@link #gelu()}.
     */
    public static Activation geluTanh() {
        double c = Math.sqrt(2 / Math.PI);
        return new Activation("GELU(tanh)", x -> x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(c).tanh().add(1)), true);
    }

    boolean reluLike() {
        return reluLike;
    }

    @Override
    public Tensor forward(Tensor x) {
        return f.apply(x);
    }

    @Override
    public String toString() {
        return name;
    }
}
