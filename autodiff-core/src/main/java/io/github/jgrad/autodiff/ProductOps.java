package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.Autograd.record;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.Kernels;
import io.github.jgrad.autodiff.internal.MatMul;
import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Arrays;
import java.util.Objects;

/**
 * The matrix products, each defined once: op(A) op(B) for the four transpose flags (BLAS's transA and
 * transB: no transposed copy is made) and x W + b in one pass. Their backward is products again, so
 * gradients of gradients work.
 */
final class ProductOps {
    private ProductOps() {
    }

    // ------------------------------------------------------------------ matmul: C = op(A) op(B)
    // dop(A) = G op(B)^T, dop(B) = op(A)^T G, each transposed back if op transposed
    static final Op MATMUL = product("matmul", "g @ b^T", "a^T @ g");          // a b
    static final Op MATMUL_NT = product("matmulNT", "g @ b", "g^T @ a");       // a b^T
    static final Op MATMUL_TN = product("matmulTN", "b @ g^T", "a @ g");       // a^T b
    static final Op MATMUL_TT = product("matmulTT", "b^T @ g^T", "g^T @ a^T"); // a^T b^T
    private static final Op[] BY_FLAGS = {MATMUL, MATMUL_NT, MATMUL_TN, MATMUL_TT};

    private static Op product(String name, String ruleA, String ruleB) {
        return Op.builtin(name).rule(ruleA, ruleB)
                .edges("leading (batch) dimensions broadcast; an empty product (a side of 0) is all zeros; a"
                        + " zero gradient times an infinite operand is NaN inside the product, as BLAS does")
                .build();
    }

    /** NumPy's matmul: 1-D operands become a row or column whose added dimension is removed again. */
    static Tensor matmul(Tensor a, Tensor b) {
        Objects.requireNonNull(b, "matmul: b is null");
        aligned("matmul", a, b);
        if (a.dim() == 1 && b.dim() == 1) {
            return matmul(a.reshape(1, a.shape[0]), b.reshape(b.shape[0], 1)).reshape();
        }
        if (a.dim() == 1) {
            return matmul(a.reshape(1, a.shape[0]), b).squeeze(-2);
        }
        if (b.dim() == 1) {
            return matmul(a, b.reshape(b.shape[0], 1)).squeeze(-1);
        }
        return mm(a, false, b, false);
    }

    /** Checks that a and b have a dimension each and that a's last matches b's contracted one. */
    static void aligned(String op, Tensor a, Tensor b) {
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(a.shape) + " and " + Shapes.str(b.shape)
                    + ": operands must have at least one dimension");
        }
        int k = a.shape[a.dim() - 1];
        int k2 = b.shape[b.dim() == 1 ? 0 : b.dim() - 2];
        if (k != k2) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(a.shape) + " and " + Shapes.str(b.shape)
                    + " are not aligned: " + k + " (last dimension of the first) != " + k2
                    + (b.dim() == 1 ? " (length of the second)" : " (second-to-last of the second)"));
        }
    }

    /** op(a) op(b) for operands of rank >= 2, where op transposes the last two dimensions when its flag is set. */
    static Tensor mm(Tensor a, boolean ta, Tensor b, boolean tb) {
        int ra = a.dim();
        int rb = b.dim();
        int n = a.shape[ta ? ra - 1 : ra - 2];
        int k = a.shape[ta ? ra - 2 : ra - 1];
        int k2 = b.shape[tb ? rb - 1 : rb - 2];
        int m = b.shape[tb ? rb - 2 : rb - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(a.shape) + (ta ? "^T" : "") + " and "
                    + Shapes.str(b.shape) + (tb ? "^T" : "") + " are not aligned: " + k
                    + " (last dimension of the first) != " + k2 + " (second-to-last of the second)");
        }
        int[] batchA = Arrays.copyOf(a.shape, ra - 2);
        int[] batchB = Arrays.copyOf(b.shape, rb - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast("matmul", batchA, batchB);
        } catch (IllegalArgumentException e) { // name the whole shapes, not only their batch parts
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(a.shape) + " and " + Shapes.str(b.shape)
                    + ": their batch dimensions " + Shapes.str(batchA) + " and " + Shapes.str(batchB)
                    + " cannot be broadcast together", e);
        }
        int[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = n;
        os[batch.length + 1] = m;
        boolean single = a.dtype() == DType.FLOAT32 && b.dtype() == DType.FLOAT32;
        int size;
        try {
            size = Shapes.size("matmul", os);
        } catch (IllegalArgumentException e) { // name the operands too
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(a.shape) + (ta ? "^T" : "") + " and "
                    + Shapes.str(b.shape) + (tb ? "^T" : "") + ": " + e.getMessage().substring("matmul: ".length()), e);
        }
        double[] out = single ? null : k > 0 ? Arena.allocate(size) : Arena.zeros(size);
        float[] outF = !single ? null : k > 0 ? Arena.allocateFloats(size) : Arena.zerosFloats(size);
        double[] ad = single ? null : a.data();
        double[] bd = single ? null : b.data();
        float[] af = single ? a.floats() : null;
        float[] bf = single ? b.floats() : null;
        int batches = Shapes.size("matmul", batch);
        int[] sa = Shapes.broadcastStrides(batchA, batch);
        int[] sb = Shapes.broadcastStrides(batchB, batch);
        int[] idx = new int[batch.length];
        // an empty product (n, m or k is 0) is all zeros already: no loop over its batches; otherwise every
        // batch overwrites its block
        for (int t = 0; t < batches && size > 0 && k > 0; t++) {
            int ia = 0;
            int ib = 0;
            for (int d = 0; d < batch.length; d++) {
                ia += idx[d] * sa[d];
                ib += idx[d] * sb[d];
            }
            if (single) {
                MatMul.sgemm(ta, tb, false, n, m, k, af, ia * n * k, bf, ib * k * m, outF, t * n * m);
            } else {
                MatMul.gemm(ta, tb, false, n, m, k, ad, ia * n * k, bd, ib * k * m, out, t * n * m);
            }
            for (int d = batch.length - 1; d >= 0 && ++idx[d] == batch[d]; d--) {
                idx[d] = 0;
            }
        }
        Tensor.Backward backward = (g, o) -> new Tensor[] {
            !a.requiresGrad ? null : (ta ? mm(b, tb, g, true) : mm(g, false, b, !tb)).sumTo(a.shape),
            !b.requiresGrad ? null : (tb ? mm(g, true, a, ta) : mm(a, !ta, g, false)).sumTo(b.shape)};
        Op op = BY_FLAGS[(ta ? 2 : 0) + (tb ? 1 : 0)];
        return single ? record(op, outF, os, backward, a, b) : record(op, out, os, backward, a, b);
    }

    // ------------------------------------------------------------------ matmulAdd: x W + b
    static final Op MATMUL_ADD = Op.builtin("matmulAdd").rule("g @ b^T", "a^T @ g", "g summed to the bias's shape")
            .edges("the same values and gradients as matmul then add, with one (n, m) array fewer").build();

    static Tensor matmulAdd(Tensor x, Tensor w, Tensor bias) {
        Objects.requireNonNull(w, "matmulAdd: w is null");
        Objects.requireNonNull(bias, "matmulAdd: bias is null");
        if (x.dim() != 2 || w.dim() != 2) {
            aligned("matmulAdd", x, w);
            return x.matmul(w).add(bias);
        }
        int n = x.shape[0];
        int k = x.shape[1];
        int m = w.shape[1];
        if (w.shape[0] != k) {
            throw new IllegalArgumentException("matmulAdd: shapes " + Shapes.str(x.shape) + " and " + Shapes.str(w.shape)
                    + " are not aligned: " + k + " != " + w.shape[0]);
        }
        int[] os = {n, m};
        boolean fits = bias.dim() <= 2;
        for (int d = 1; fits && d <= bias.dim(); d++) {
            int size = bias.shape[bias.dim() - d];
            fits = size == 1 || size == os[2 - d];
        }
        if (!fits) {
            throw new IllegalArgumentException("matmulAdd: bias of shape " + Shapes.str(bias.shape)
                    + " does not broadcast to the product's shape " + Shapes.str(os) + " of " + Shapes.str(x.shape)
                    + " and " + Shapes.str(w.shape));
        }
        if (x.dtype() == DType.FLOAT32 && w.dtype() == DType.FLOAT32 && bias.dtype() == DType.FLOAT64) {
            return x.matmul(w).add(bias); // the two ops round the float32 product before adding a float64 bias
        }
        Tensor.Backward backward = (g, o) -> new Tensor[] {
            x.requiresGrad ? mm(g, false, w, true) : null,
            w.requiresGrad ? mm(x, true, g, false) : null,
            bias.requiresGrad ? g.sumTo(bias.shape) : null};
        if (DType.of(x, w, bias) == DType.FLOAT32) { // x and w are float32: sgemm, into the bias rounded to float32
            double[] b = bias.data();
            boolean rows = bias.dim() == 2 && bias.shape[0] != 1; // a bias of shape (n, m) or (n, 1)
            boolean cols = bias.dim() >= 1 && bias.shape[bias.dim() - 1] != 1;
            float[] outF = Arena.allocateFloats(n * m);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < m; j++) {
                    outF[i * m + j] = (float) b[(rows ? i * (cols ? m : 1) : 0) + (cols ? j : 0)];
                }
            }
            MatMul.sgemm(false, false, true, n, m, k, x.floats(), 0, w.floats(), 0, outF, 0);
            return record(MATMUL_ADD, outF, os, backward, x, w, bias);
        }
        double[] out = Kernels.broadcastTo(bias.data(), bias.shape, os);
        MatMul.gemm(false, false, true, n, m, k, x.data(), 0, w.data(), 0, out, 0);
        return record(MATMUL_ADD, out, os, backward, x, w, bias);
    }
}
