package io.github.jgrad.autodiff;

/**
 * The element type of a {@link Tensor}: {@link #FLOAT64} (the default) or {@link #FLOAT32}.
 *
 * <p><b>Arithmetic.</b> A float32 op computes each element in double precision from its float32
 * operands and rounds the result to float32 once. For +, -, *, / and sqrt this is exactly IEEE 754
 * float32 arithmetic (a double holds every product and quotient of two floats closely enough that the
 * second rounding never differs); exp, tanh and the other functions come out correctly rounded or
 * within one float32 ulp of it, and reductions (sum, mean, softmax's sums) accumulate in double, so
 * a sum of 10^6 float32 numbers is as accurate as one rounding. Matrix products are the exception:
 * float32 products of at least 32^3 multiply-adds run OpenBLAS's {@code sgemm} where OpenBLAS is
 * loaded ({@link Blas#kernel()}), which accumulates in float32 as numpy and PyTorch do; smaller ones,
 * and all on jgrad's Java kernel, are computed in double and rounded once, so a row's result can
 * differ in its last bit between a small batch and a large one.
 *
 * <p><b>Promotion</b> follows PyTorch's: an op on float32 and float64 tensors gives float64, with two
 * exceptions that keep float32 models in float32. A 0-dimensional tensor does not promote a tensor
 * with dimensions ({@code x32.mul(Tensor.scalar(0.1))} is float32, and multiplies by {@code 0.1f}: the
 * op computes in its result's type, as PyTorch's), and a Java {@code double} argument
 * ({@code x.mul(0.5)}) promotes nothing, not even a 0-dimensional float32 tensor: it is rounded to the
 * tensor's type first ({@code x32.mul(0.1)} multiplies by {@code 0.1f}, as PyTorch does). Comparisons
 * give 0/1 in the promoted type; {@code where}'s mask and {@code gather}'s indices take no part in
 * promotion; {@code argmax} and {@code argmin} give float64 indices. Unlike PyTorch's, {@code matmul} promotes too
 * (PyTorch's refuses mixed dtypes); nn's {@code Linear} refuses them, as PyTorch's layers do.
 *
 * <p><b>Gradients</b> have the dtype of the tensor they belong to: a float32 parameter used in a
 * float64 computation receives a float32 gradient, converted where the graph changed type (as PyTorch's
 * engine does). {@link Tensor#to(DType)} is differentiable: its backward converts the gradient back.
 * A backward formula that reads an op's result reads it as stored, rounded to float32, as PyTorch's
 * do: tanh's gradient g(1 - y^2) and sigmoid's g y(1 - y) carry the rounding of y, and are 0 where y
 * rounds to 1 (tanh above about |x| = 9, sigmoid above x = 17), far sooner than float64's.
 */
public enum DType {
    /** IEEE 754 binary64: Java's {@code double}. The default: exact gradients, {@link GradCheck}. */
    FLOAT64("float64", 8),
    /** IEEE 754 binary32: Java's {@code float}. Half the memory, about twice the speed of matrix products. */
    FLOAT32("float32", 4);

    private final String text;
    private final int bytes;

    DType(String text, int bytes) {
        this.text = text;
        this.bytes = bytes;
    }

    /** Bytes per element: 8 or 4. */
    public int bytes() {
        return bytes;
    }

    /** {@code "float64"} or {@code "float32"}, as numpy and PyTorch name them. */
    @Override
    public String toString() {
        return text;
    }

    /**
     * The dtype of an op's result on these inputs: the widest among those with dimensions; among
     * 0-dimensional ones if none has any; float64 if all are Java doubles ({@link Tensor#weak}).
     */
    static DType of(Tensor... inputs) {
        int rank = -1; // 2: has dimensions, 1: 0-dimensional, 0: a Java double
        DType result = FLOAT64;
        for (Tensor t : inputs) {
            int r = t.weak ? 0 : t.shape.length > 0 ? 2 : 1;
            if (r > rank) {
                rank = r;
                result = t.dtype();
            } else if (r == rank && t.dtype() == FLOAT64) {
                result = FLOAT64;
            }
        }
        return result;
    }
}
