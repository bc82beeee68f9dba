package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * y = x W + b for x of shape (..., in): weight W of shape (in, out), bias b of shape (out).
 *
 * <p>The weight is stored (in, out), the transpose of PyTorch's (out, in), so the forward product
 * needs no transpose; transpose when moving weights to or from PyTorch.
 */
public final class Linear extends Module {
    private final Tensor weight;
    private final Tensor bias;

    private Linear(Tensor weight, Tensor bias) {
        this.weight = register("weight", weight);
        this.bias = bias == null ? null : register("bias", bias);
    }

    /**
     * A layer with He-uniform weights (for ReLU networks: bound sqrt(6 / in)) and zero bias. PyTorch's
     * {@code nn.Linear} starts narrower (bound 1 / sqrt(in), and a random bias); for tanh or sigmoid
     * layers pass {@link Init#xavierUniform()}, as {@link Sequential#mlp} does.
     */
    public static Linear of(int in, int out, long seed) {
        return of(in, out, Init.heUniform(), seed);
    }

    /** A layer whose weights come from {@code init} with {@code seed}, with zero bias. */
    public static Linear of(int in, int out, Init init, long seed) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + in + ", out=" + out);
        }
        if ((long) in * out > NpyFormat.MAX_ELEMENTS) {
            throw new IllegalArgumentException("Linear(in=" + in + ", out=" + out + "): a weight of " + (long) in * out
                    + " elements is more than one tensor holds (" + NpyFormat.MAX_ELEMENTS + ")");
        }
        Tensor weight = Objects.requireNonNull(init, "Linear: init is null").create(seed, in, out, in, out);
        if (weight == null || !Arrays.equals(weight.shape(), new int[] {in, out})) {
            throw new IllegalArgumentException("Linear(in=" + in + ", out=" + out + "): init returned "
                    + (weight == null ? "null" : "a weight of shape " + Text.shape(weight.shape()))
                    + " for the shape (" + in + ", " + out + ") it was asked for (jgrad's weights are (in, out),"
                    + " PyTorch's (out, in))");
        }
        return new Linear(weight, Tensor.zeros(weight.dtype(), out)); // the bias in the weight's dtype
    }

    /** A layer with the given weight (in, out) and bias (out) (copied, in their dtype), or no bias if {@code bias} is null. */
    public static Linear of(Tensor weight, Tensor bias) {
        if (weight.dim() != 2 || (bias != null && !Arrays.equals(bias.shape(), new int[] {weight.shape(1)}))) {
            throw new IllegalArgumentException("Linear: weight must be (in, out) and bias (out); got "
                    + Text.shape(weight.shape()) + " and " + (bias == null ? "none" : Text.shape(bias.shape())));
        }
        if (bias != null && bias.dtype() != weight.dtype()) { // the layer computes in one dtype, as PyTorch's
            throw new IllegalArgumentException("Linear: weight of dtype " + weight.dtype() + " and bias of dtype "
                    + bias.dtype() + "; give both one dtype (to)");
        }
        return new Linear(copy(weight), bias == null ? null : copy(bias));
    }

    /** A leaf copy of t in t's dtype. */
    private static Tensor copy(Tensor t) {
        Tensor c = Tensor.zeros(t.dtype(), t.shape());
        c.copyFrom(t);
        return c;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() == 0 || x.shape(-1) != weight.shape(0)) {
            throw new IllegalArgumentException("Linear(" + weight.shape(0) + " -> " + weight.shape(1) + "): input of shape "
                    + Text.shape(x.shape()) + " must end in " + weight.shape(0));
        }
        if (x.dtype() != weight.dtype()) { // as PyTorch's nn.Linear: a float32 model would train in float64 unseen
            throw new IllegalArgumentException("Linear(" + weight.shape(0) + " -> " + weight.shape(1)
                    + "): input of dtype " + x.dtype() + ", but the layer's weight is " + weight.dtype() + "; convert the input"
                    + " (x.to(DType." + weight.dtype().name() + ")) or the model (Module.to), as PyTorch requires");
        }
        return bias == null ? x.matmul(weight) : x.matmulAdd(weight, bias);
    }

    /** {@code Linear(in=2, out=16)}, with {@code bias=false} if it has none. */
    @Override
    public String toString() {
        return "Linear(in=" + weight.shape(0) + ", out=" + weight.shape(1) + (bias == null ? ", bias=false" : "") + ")";
    }

    /** The weight, shape (in, out). */
    public Tensor weight() {
        return weight;
    }

    /** The bias, shape (out), or null. */
    public Tensor bias() {
        return bias;
    }
}
