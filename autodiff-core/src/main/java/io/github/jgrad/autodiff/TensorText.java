package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Locale;

/** How a tensor prints: its elements in nested brackets, as NumPy's repr, then its shape. */
final class TensorText {
    private TensorText() {
    }

    /**
     * {@code tensor([[1, 2], [3, 4]], shape=(2, 2), requiresGrad)}, summarised above a thousand elements;
     * float32 tensors add {@code dtype=float32}.
     */
    static String of(Tensor t) {
        StringBuilder sb = new StringBuilder("tensor(");
        appendData(sb, t.data(), t.shape, t.size() > SUMMARY_THRESHOLD);
        sb.append(", shape=").append(Shapes.str(t.shape));
        if (t.dtype() != DType.FLOAT64) { // as PyTorch, the default dtype goes unsaid
            sb.append(", dtype=").append(t.dtype());
        }
        if (t.requiresGrad) {
            sb.append(", requiresGrad");
        }
        return sb.append(')').toString();
    }

    /**
     * What made {@code t}, as graph drawings and explain reports show it: "parameter" or "input" for a
     * leaf, else its op, marked where backward has freed its graph (it enters later graphs as a constant).
     */
    static String role(Tensor t) {
        if (t.isLeaf()) {
            return t.requiresGrad() ? "parameter" : "input";
        }
        return t.op().name() + (t.hasNoParents() ? " (graph freed)" : "");
    }

    /** The shape, followed by the dtype where it is not the default: {@code (2, 3)}, {@code (2, 3) float32}. */
    static String shapeAndType(Tensor t) {
        String shape = Shapes.str(t.shape);
        return t.dtype() == DType.FLOAT64 ? shape : shape + " " + t.dtype();
    }

    /** Above this many elements, {@link Tensor#toString} shows the first and last 3 along each axis (as NumPy). */
    private static final int SUMMARY_THRESHOLD = 1000;

    /**
     * The elements as nested brackets, one bracket per axis, by an odometer over the indices (no
     * recursion: any rank prints); summarised, each axis longer than 6 shows its first and last 3.
     */
    private static void appendData(StringBuilder sb, double[] data, int[] shape, boolean summarise) {
        if (data.length == 0) { // as NumPy prints any empty array (not one [] per outer index)
            sb.append("[]");
            return;
        }
        int rank = shape.length;
        int[] pos = new int[rank]; // per axis, the place among the indices it shows
        sb.append("[".repeat(rank));
        while (true) {
            int at = 0;
            for (int axis = 0; axis < rank; axis++) {
                at += shown(shape[axis], pos[axis], summarise) * Shapes.sizeAfter(shape, axis);
            }
            sb.append(String.format(Locale.ROOT, "%.6g", data[at]));
            int axis = rank - 1;
            while (axis >= 0 && pos[axis] == shownCount(shape[axis], summarise) - 1) {
                sb.append(']');
                pos[axis--] = 0;
            }
            if (axis < 0) {
                return;
            }
            pos[axis]++;
            sb.append(", ").append(summarise && shape[axis] > 6 && pos[axis] == 3 ? "..., " : "");
            sb.append("[".repeat(rank - 1 - axis));
        }
    }

    private static int shownCount(int n, boolean summarise) {
        return summarise && n > 6 ? 6 : n;
    }

    /** The index shown at place {@code p} of an axis of length {@code n}. */
    private static int shown(int n, int p, boolean summarise) {
        return summarise && n > 6 && p >= 3 ? n - 6 + p : p;
    }
}
