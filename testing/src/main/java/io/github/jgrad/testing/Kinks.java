package io.github.jgrad.testing;

/**
 * What an evaluation met that finite differences cannot cross: the smallest distance of an operand
 * to a kink (relu at 0, max at a tie) and the largest magnitude of any intermediate result.
 */
final class Kinks {
    /** Measures nothing: what {@link Graph#apply} passes, so that ops skip their measurements. */
    static final Kinks NONE = new Kinks(false);

    /** Whether measurements are wanted; ops that compute a distance check this first. */
    final boolean on;
    double nearest = Double.POSITIVE_INFINITY;
    double largest;

    Kinks(boolean on) {
        this.on = on;
    }

    /** An operand {@code distance} away from a kink (NaN counts as on it). */
    void at(double distance) {
        if (!on) {
            return;
        }
        nearest = Math.min(nearest, Double.isNaN(distance) ? 0 : Math.abs(distance));
    }

    /** An intermediate result of magnitude {@code m} (NaN counts as infinite). */
    void magnitude(double m) {
        if (!on) {
            return;
        }
        largest = Double.isNaN(m) ? Double.POSITIVE_INFINITY : Math.max(largest, Math.abs(m));
    }
}
