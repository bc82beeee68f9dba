package io.github.jgrad.autodiff;

import java.lang.ref.WeakReference;
import java.util.List;

/** Counting weak references the collector has cleared: how the memory tests see what was released. */
final class WeakRefs {
    private WeakRefs() {
    }

    /** How many of {@code refs} are cleared. */
    static int cleared(List<? extends WeakReference<?>> refs) {
        int n = 0;
        for (WeakReference<?> r : refs) {
            if (r.get() == null) {
                n++;
            }
        }
        return n;
    }

    /** Runs the collector up to {@code attempts} times, stopping once every reference is cleared; the count cleared. */
    static int collect(List<? extends WeakReference<?>> refs, int attempts) {
        for (int i = 0; i < attempts && cleared(refs) < refs.size(); i++) {
            System.gc();
        }
        return cleared(refs);
    }
}
