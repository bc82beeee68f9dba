package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Arrays;
import java.util.Objects;

/**
 * The version counter of an array of data, shared by every tensor viewing it (reshape, detach), and
 * the only two ways a tensor's data changes in place. Each change counts a version, so that backward
 * can refuse a graph computed from the old values (PyTorch's version counter check).
 */
final class Storage {
    int version;

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
        double[] d = t.data;
        double[] s = x.data;
        for (int i = 0; i < d.length; i++) {
            d[i] += alpha * s[i];
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
        System.arraycopy(source.data, 0, t.data, 0, t.data.length);
        t.storage().version++;
    }
}
