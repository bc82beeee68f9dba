package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Arrays;
import java.util.Objects;

/**
 * The version counter of an array of data, shared by every tensor viewing it (reshape, detach), and
 * the only two ways a tensor's data changes in place. Each change counts a version, so that backward
 * can refuse a graph computed from the old values (PyTorch's version counter check). In a
 * {@link Workspace}, also who reclaims the array, and whether it was: one storage per array, so that
 * reclaiming it reaches every tensor viewing the array.
 */
final class Storage {
    int version;
    /** The {@link Workspace} or open scope that will reclaim this memory; null if none will. */
    Object owner;
    /** Why this memory was reclaimed by a {@link Workspace}; null while it is live. */
    String reclaimed;

    /** The error for reading or using {@code t} after its memory was reclaimed. */
    IllegalStateException reclaimedError(Tensor t) {
        return new IllegalStateException("a tensor of shape " + Shapes.str(t.shape) + " (" + t.op + ")"
                + " was used after its memory was reclaimed (" + reclaimed + "): read what you need from it inside"
                + " the scope, or take it out with Workspace.keep before the scope closes");
    }

    static void addInPlace(Tensor t, double alpha, Tensor x) {
        Objects.requireNonNull(x, "addInPlace: x is null");
        if (!t.hasNoParents() || !t.requiresGrad || t.freed) {
            throw new IllegalStateException("addInPlace: only parameters (leaves that require grad) can be updated"
                    + " in place; this is a " + t.op + " tensor of shape " + Shapes.str(t.shape));
        }
        if (!Arrays.equals(t.shape, x.shape)) {
            throw new IllegalArgumentException("addInPlace: shape " + Shapes.str(x.shape) + " does not match "
                    + Shapes.str(t.shape));
        }
        float[] f = t.floats();
        if (f != null && x.dtype() == DType.FLOAT32) { // float32 arithmetic, as PyTorch's add_(x, alpha)
            float[] s = x.floats();
            float a = (float) alpha;
            for (int i = 0; i < f.length; i++) {
                f[i] += a * s[i];
            }
        } else if (f != null) {
            double[] s = x.data();
            float a = (float) alpha;
            for (int i = 0; i < f.length; i++) {
                f[i] += a * (float) s[i];
            }
        } else {
            double[] s = x.data();
            double[] d = t.doubles();
            for (int i = 0; i < d.length; i++) {
                d[i] += alpha * s[i];
            }
        }
        t.storage().version++;
    }

    static void copyFrom(Tensor t, Tensor source) {
        Objects.requireNonNull(source, "copyFrom: source is null");
        if (!t.isLeaf()) {
            throw new IllegalStateException("copyFrom: only leaves can be overwritten; this " + t.op + " result of shape "
                    + Shapes.str(t.shape) + " records its inputs (or did, before backward freed them)");
        }
        if (!Arrays.equals(t.shape, source.shape)) {
            throw new IllegalArgumentException("copyFrom: shape " + Shapes.str(source.shape) + " does not match "
                    + Shapes.str(t.shape));
        }
        if (t.dtype() == DType.FLOAT32) { // converted to this tensor's dtype
            float[] same = source.dtype() == DType.FLOAT32 ? source.floats() : null; // no copy of a float32 source
            System.arraycopy(same != null ? same : source.toFloatArray(), 0, t.floats(), 0, t.size());
        } else {
            System.arraycopy(source.data(), 0, t.doubles(), 0, t.size());
        }
        t.storage().version++;
    }
}
