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
        appendData(sb, t.data(), t.shape, 0, 0, t.size() > SUMMARY_THRESHOLD);
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

    /** The elements from flat offset {@code at} along axes {@code axis...} as nested brackets. */
    private static void appendData(StringBuilder sb, double[] data, int[] shape, int axis, int at, boolean summarise) {
        if (data.length == 0) { // as NumPy prints any empty array (not one [] per outer index)
            sb.append("[]");
            return;
        }
        if (axis == shape.length) {
            sb.append(String.format(Locale.ROOT, "%.6g", data[at]));
            return;
        }
        int n = shape[axis];
        int stride = Shapes.sizeAfter(shape, axis);
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (summarise && n > 6 && i == 3) {
                sb.append(", ...");
                i = n - 3;
            }
            if (i > 0) {
                sb.append(", ");
            }
            appendData(sb, data, shape, axis + 1, at + i * stride, summarise);
        }
        sb.append(']');
    }
}
