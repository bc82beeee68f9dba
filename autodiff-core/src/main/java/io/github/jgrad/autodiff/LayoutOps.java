package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.Autograd.record;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.Kernels;
import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Arrays;
import java.util.Objects;

/**
 * The layout primitives, each defined once: ops that move, copy or select elements without
 * arithmetic, and whose backward moves the gradient back (each the adjoint of the other where they
 * come in pairs: take and put, gather and scatterAdd).
 */
final class LayoutOps {
    private LayoutOps() {
    }

    // ------------------------------------------------------------------ reshape (a view)
    static final Op RESHAPE = Op.builtin("reshape").rule("g reshaped to a's shape")
            .edges("shares data with its input, as a view; one dimension may be -1, inferred").build();

    static Tensor reshape(Tensor a, int[] newShape) {
        Objects.requireNonNull(newShape, "reshape: shape is null");
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1 && infer < 0) {
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(a.shape) + " into "
                        + Shapes.str(newShape) + ": sizes are >= 0, with at most one -1 (inferred)");
            } else {
                known *= s[i];
            }
        }
        int size = a.size();
        if (infer >= 0) {
            s[infer] = known == 0 ? -1 : (int) (size / known);
            if (known == 0 || s[infer] * known != size) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(a.shape) + " into "
                        + Shapes.str(newShape));
            }
        }
        if (Shapes.size("reshape", s) != size) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(a.shape) + " (" + size
                    + " elements) into " + Shapes.str(newShape));
        }
        int[] old = a.shape;
        Tensor.Backward backward = (g, out) -> new Tensor[] {g.reshape(old)};
        return a.dtype() == DType.FLOAT32 ? record(RESHAPE, a.floats(), s, backward, a)
                : record(RESHAPE, a.data(), s, backward, a);
    }

    // ------------------------------------------------------------------ to (dtype conversion)
    static final Op TO = Op.builtin("to").rule("g converted back to a's dtype")
            .edges("float64 to float32 rounds to nearest, and beyond float32's range gives an infinity").build();

    static Tensor to(Tensor a, DType dtype) {
        Objects.requireNonNull(dtype, "to: dtype is null");
        DType from = a.dtype();
        if (from == dtype) {
            return a;
        }
        return record(dtype, TO, a.data(), a.shape, (g, out) -> new Tensor[] {g.to(from)}, a);
    }

    // ------------------------------------------------------------------ permute
    static final Op PERMUTE = Op.builtin("permute").rule("g permuted back").build();

    static Tensor permute(Tensor a, int[] axes) {
        Objects.requireNonNull(axes, "permute: axes is null");
        int[] shape = a.shape;
        if (axes.length != shape.length) {
            throw new IllegalArgumentException("permute: " + axes.length + " axes given for shape " + Shapes.str(shape));
        }
        int[] perm = new int[axes.length];
        boolean[] seen = new boolean[axes.length];
        for (int i = 0; i < axes.length; i++) {
            perm[i] = Shapes.axis("permute", axes[i], shape);
            if (seen[perm[i]]) {
                throw new IllegalArgumentException("permute: axis " + axes[i] + " repeated in " + Arrays.toString(axes));
            }
            seen[perm[i]] = true;
        }
        int[] inverse = new int[perm.length];
        int[] s = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inverse[perm[i]] = i;
            s[i] = shape[perm[i]];
        }
        Tensor.Backward backward = (g, out) -> new Tensor[] {g.permute(inverse)};
        return a.dtype() == DType.FLOAT32 ? record(PERMUTE, Kernels.permute(a.floats(), shape, perm), s, backward, a)
                : record(PERMUTE, Kernels.permute(a.data(), shape, perm), s, backward, a);
    }

    // ------------------------------------------------------------------ broadcastTo
    static final Op BROADCAST_TO = Op.builtin("broadcastTo").rule("g summed back to a's shape").build();

    static Tensor broadcastTo(Tensor a, int[] target) {
        Shapes.size("broadcastTo", target);
        int[] s = Shapes.broadcast("broadcastTo", a.shape, target);
        if (!Arrays.equals(s, target)) {
            throw new IllegalArgumentException("broadcastTo: shape " + Shapes.str(a.shape) + " cannot be broadcast to "
                    + Shapes.str(target));
        }
        if (Arrays.equals(a.shape, target)) {
            return a;
        }
        int[] old = a.shape;
        return record(BROADCAST_TO, Kernels.broadcastTo(a.data(), a.shape, s), s.clone(),
                (g, out) -> new Tensor[] {g.sumTo(old)}, a);
    }

    // ------------------------------------------------------------------ copy
    static final Op COPY = Op.builtin("copy").rule("g").build();

    /** A copy with its own data; on the tape as the identity while recording. */
    static Tensor copy(Tensor a) {
        Tensor.Backward backward = (g, out) -> new Tensor[] {g};
        return a.dtype() == DType.FLOAT32 ? record(COPY, a.floats().clone(), a.shape, backward, a)
                : record(COPY, a.data().clone(), a.shape, backward, a);
    }

    // ------------------------------------------------------------------ slice, indexSelect, take and put
    static final Op SLICE = Op.builtin("slice").rule("g put back into zeros of a's shape").build();
    static final Op INDEX_SELECT = Op.builtin("indexSelect").rule("g added back at the rows taken").build();
    static final Op TAKE = Op.builtin("take").rule("g taken at the rows").build();
    static final Op PUT = Op.builtin("put").rule("g put back at the rows").build();

    static Tensor slice(Tensor t, int axis, int start, int end, int step) {
        int a = Shapes.axis("slice", axis, t.shape);
        if (start < 0 || end > t.shape[a] || start > end || step < 1) {
            throw new IllegalArgumentException("slice: [" + start + ":" + end + ":" + step + "] does not fit axis "
                    + axis + " of shape " + Shapes.str(t.shape));
        }
        int len = end > start ? (end - start - 1) / step + 1 : 0;
        int[] idx = new int[len];
        for (int i = 0; i < len; i++) {
            idx[i] = start + i * step;
        }
        return take(SLICE, t, a, idx);
    }

    static Tensor indexSelect(Tensor t, int axis, int[] indices) {
        Objects.requireNonNull(indices, "indexSelect: indices is null");
        int a = Shapes.axis("indexSelect", axis, t.shape);
        for (int i : indices) {
            if (i < 0 || i >= t.shape[a]) {
                throw new IllegalArgumentException("indexSelect: index " + i + " is out of range for axis " + axis
                        + " of shape " + Shapes.str(t.shape));
            }
        }
        return take(INDEX_SELECT, t, a, indices.clone());
    }

    /** Rows {@code idx} along normalised axis {@code a}; backward adds them back in place. */
    static Tensor take(Op op, Tensor t, int a, int[] idx) {
        int outer = Shapes.sizeBefore(t.shape, a);
        int inner = Shapes.sizeAfter(t.shape, a);
        int[] s = t.shape.clone();
        s[a] = idx.length;
        int dimA = t.shape[a];
        int[] inShape = t.shape;
        Tensor.Backward backward = (g, o) -> new Tensor[] {put(g, inShape, a, idx)};
        // rows are copied as stored: a float32 tensor is never widened whole (a DataLoader's batches)
        Object from = t.dtype() == DType.FLOAT32 ? t.floats() : t.data();
        Object out = t.dtype() == DType.FLOAT32 ? Arena.allocateFloats(Shapes.size(op.name(), s))
                : Arena.allocate(Shapes.size(op.name(), s));
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < idx.length; j++) {
                System.arraycopy(from, (o * dimA + idx[j]) * inner, out, (o * idx.length + j) * inner, inner);
            }
        }
        return out instanceof float[] f ? record(op, f, s, backward, t) : record(op, (double[]) out, s, backward, t);
    }

    /** Zeros of {@code target} with t's rows added at {@code idx} along axis a (take's adjoint). */
    static Tensor put(Tensor t, int[] target, int a, int[] idx) {
        int outer = Shapes.sizeBefore(target, a);
        int inner = Shapes.sizeAfter(target, a);
        double[] out = Arena.zeros(Shapes.size("put", target));
        int dimA = target[a];
        double[] td = t.data();
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < idx.length; j++) {
                int src = (o * idx.length + j) * inner;
                int dst = (o * dimA + idx[j]) * inner;
                for (int i = 0; i < inner; i++) {
                    out[dst + i] += td[src + i];
                }
            }
        }
        return record(PUT, out, target.clone(), (g, o) -> new Tensor[] {take(TAKE, g, a, idx)}, t);
    }

    // ------------------------------------------------------------------ gather and scatterAdd
    static final Op GATHER = Op.builtin("gather").rule("g scattered back (added)").build();
    static final Op SCATTER_ADD = Op.builtin("scatterAdd").rule("g gathered").build();

    static Tensor gather(Tensor t, int axis, Tensor index) {
        Objects.requireNonNull(index, "gather: index is null");
        int[] shape = t.shape;
        int a = Shapes.axis("gather", axis, shape);
        if (index.dim() != t.dim()) {
            throw new IllegalArgumentException("gather: index of shape " + Shapes.str(index.shape)
                    + " must have the rank of the input " + Shapes.str(shape));
        }
        for (int d = 0; d < shape.length; d++) {
            if (d != a && index.shape[d] != shape[d]) {
                throw new IllegalArgumentException("gather: index shape " + Shapes.str(index.shape) + " and input shape "
                        + Shapes.str(shape) + " differ along axis " + d + " (only axis " + axis + " may differ)");
            }
        }
        double[] id = index.data();
        int[] idx = new int[id.length];
        for (int i = 0; i < idx.length; i++) {
            double v = id[i];
            if (v != Math.rint(v) || v < 0 || v >= shape[a]) {
                throw new IllegalArgumentException("gather: index value " + v + " is not an integer in [0, " + shape[a]
                        + ") for axis " + axis + " of shape " + Shapes.str(shape));
            }
            idx[i] = (int) v;
        }
        return gather(t, a, idx, index.shape);
    }

    private static Tensor gather(Tensor t, int a, int[] idx, int[] idxShape) {
        int outer = Shapes.sizeBefore(t.shape, a);
        int inner = Shapes.sizeAfter(t.shape, a);
        int len = idxShape[a];
        int dimA = t.shape[a];
        double[] out = Arena.allocate(idx.length);
        double[] td = t.data();
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < len; j++) {
                for (int i = 0; i < inner; i++) {
                    int p = (o * len + j) * inner + i;
                    out[p] = td[(o * dimA + idx[p]) * inner + i];
                }
            }
        }
        int[] inShape = t.shape;
        return record(GATHER, out, idxShape.clone(), (g, o) -> new Tensor[] {scatterAdd(g, inShape, a, idx)}, t);
    }

    /** Zeros of {@code target} with t's elements added at {@code idx} along axis a (gather's adjoint). */
    static Tensor scatterAdd(Tensor t, int[] target, int a, int[] idx) {
        int outer = Shapes.sizeBefore(target, a);
        int inner = Shapes.sizeAfter(target, a);
        int len = t.shape[a];
        int dimA = target[a];
        double[] out = Arena.zeros(Shapes.size("scatterAdd", target));
        double[] td = t.data();
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < len; j++) {
                for (int i = 0; i < inner; i++) {
                    int p = (o * len + j) * inner + i;
                    out[(o * dimA + idx[p]) * inner + i] += td[p];
                }
            }
        }
        int[] idxShape = t.shape;
        return record(SCATTER_ADD, out, target.clone(), (g, o) -> new Tensor[] {gather(g, a, idx, idxShape)}, t);
    }

    // ------------------------------------------------------------------ concat
    static final Op CONCAT = Op.builtin("concat").rule("g sliced to this input").build();

    private static void nonNull(String op, Tensor[] tensors) {
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i] == null) {
                throw new NullPointerException(op + ": tensor " + i + " of " + tensors.length + " is null");
            }
        }
    }

    static Tensor concat(int axis, Tensor[] tensors) {
        Objects.requireNonNull(tensors, "concat: tensors is null");
        if (tensors.length == 0) {
            throw new IllegalArgumentException("concat: no tensors given");
        }
        nonNull("concat", tensors);
        Tensor first = tensors[0];
        int a = Shapes.axis("concat", axis, first.shape);
        long total = 0;
        for (Tensor t : tensors) {
            boolean fits = t.dim() == first.dim();
            for (int d = 0; fits && d < first.dim(); d++) {
                fits = d == a || t.shape[d] == first.shape[d];
            }
            if (!fits) {
                throw new IllegalArgumentException("concat: shape " + Shapes.str(t.shape) + " does not fit "
                        + Shapes.str(first.shape) + " along axis " + axis);
            }
            total += t.shape[a];
        }
        if (total > Shapes.MAX_ELEMENTS) {
            throw new IllegalArgumentException("concat: " + total + " entries along axis " + axis
                    + " exceed the largest dimension a tensor can have");
        }
        int outer = Shapes.sizeBefore(first.shape, a);
        int inner = Shapes.sizeAfter(first.shape, a);
        int[] s = first.shape.clone();
        s[a] = (int) total;
        double[] out = Arena.allocate(Shapes.size("concat", s));
        int offset = 0;
        int[] starts = new int[tensors.length];
        for (int k = 0; k < tensors.length; k++) {
            Tensor t = tensors[k];
            int block = t.shape[a] * inner;
            double[] td = t.data();
            for (int o = 0; o < outer; o++) {
                System.arraycopy(td, o * block, out, (int) ((o * total + offset) * inner), block);
            }
            starts[k] = offset;
            offset += t.shape[a];
        }
        Tensor[] inputs = tensors.clone();
        return record(CONCAT, out, s, (g, o) -> {
            Tensor[] gs = new Tensor[inputs.length];
            for (int k = 0; k < inputs.length; k++) {
                gs[k] = inputs[k].requiresGrad ? g.slice(a, starts[k], starts[k] + inputs[k].shape[a]) : null;
            }
            return gs;
        }, inputs);
    }

    // ------------------------------------------------------------------ compositions (no derivative of their own)

    static Tensor unsqueeze(Tensor t, int axis) {
        int a = Shapes.axis("unsqueeze", axis, t.shape, t.shape.length + 1);
        int[] s = new int[t.shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            s[i] = i == a ? 1 : t.shape[j++];
        }
        return t.reshape(s);
    }

    static Tensor squeeze(Tensor t, int axis) {
        int a = Shapes.axis("squeeze", axis, t.shape);
        if (t.shape[a] != 1) {
            throw new IllegalArgumentException("squeeze: axis " + axis + " of shape " + Shapes.str(t.shape) + " is not 1");
        }
        int[] s = new int[t.shape.length - 1];
        for (int i = 0, j = 0; i < t.shape.length; i++) {
            if (i != a) {
                s[j++] = t.shape[i];
            }
        }
        return t.reshape(s);
    }

    static Tensor transpose(Tensor t, int axis0, int axis1) {
        int[] perm = new int[t.shape.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        int a = Shapes.axis("transpose", axis0, t.shape);
        int b = Shapes.axis("transpose", axis1, t.shape);
        perm[a] = b;
        perm[b] = a;
        return t.permute(perm);
    }

    static Tensor stack(int axis, Tensor[] tensors) {
        Objects.requireNonNull(tensors, "stack: tensors is null");
        if (tensors.length == 0) {
            throw new IllegalArgumentException("stack: no tensors given");
        }
        nonNull("stack", tensors);
        int rank = tensors[0].dim();
        if (axis < -rank - 1 || axis > rank) {
            throw new IllegalArgumentException("stack: axis " + axis + " is out of range for stacking tensors of rank "
                    + rank + " (valid: " + (-rank - 1) + " to " + rank + ")");
        }
        Tensor[] expanded = new Tensor[tensors.length];
        for (int k = 0; k < tensors.length; k++) {
            if (!Arrays.equals(tensors[k].shape, tensors[0].shape)) {
                throw new IllegalArgumentException("stack: shapes " + Shapes.str(tensors[0].shape) + " and "
                        + Shapes.str(tensors[k].shape) + " differ");
            }
            expanded[k] = tensors[k].unsqueeze(axis);
        }
        return concat(axis, expanded);
    }

    /** Sums a broadcast gradient back to {@code target}, the shape of the input that was broadcast. */
    static Tensor sumTo(Tensor t, int[] target) {
        if (Arrays.equals(t.shape, target)) {
            return t;
        }
        int lead = t.shape.length - target.length;
        int[] axes = new int[t.shape.length];
        int n = 0;
        for (int i = 0; i < t.shape.length; i++) {
            if (i < lead || (target[i - lead] == 1 && t.shape[i] != 1)) {
                axes[n++] = i;
            }
        }
        return t.sum(Arrays.copyOf(axes, n), true).reshape(target);
    }
}
