package io.github.jgrad.nn;

/**
 * A learning-rate schedule: the rate for a (0-based) step or epoch. Apply it with
 * {@code optimizer.setLearningRate(schedule.rate(k))} where the loop decides what k counts.
 */
@FunctionalInterface
public interface Schedule {
    /** The learning rate at step {@code k >= 0}; the built-in schedules throw for a negative k. */
    double rate(int k);

    /**
     * The same rate throughout.
     *
     * @throws IllegalArgumentException if {@code rate} is negative, infinite or NaN
     */
    static Schedule constant(double rate) {
        rate("constant", "rate", rate);
        return k -> at("constant", k, rate);
    }

    /**
     * base * gamma^(k / every), as {@code StepLR}.
     *
     * @throws IllegalArgumentException if {@code every} is below 1, or {@code base} or {@code gamma} is
     *     negative, infinite or NaN
     */
    static Schedule step(double base, int every, double gamma) {
        if (every < 1) {
            throw new IllegalArgumentException("step schedule: every must be >= 1, got " + every);
        }
        rate("step", "base", base);
        rate("step", "gamma", gamma);
        return k -> at("step", k, base * Math.pow(gamma, Math.floorDiv(k, every)));
    }

    /**
     * From {@code base} down to {@code min} along half a cosine over {@code total} steps, then {@code min}.
     *
     * @throws IllegalArgumentException if {@code total} is below 1, or a rate is negative, infinite or NaN
     */
    static Schedule cosine(double base, double min, int total) {
        if (total < 1) {
            throw new IllegalArgumentException("cosine schedule: total must be >= 1, got " + total);
        }
        rate("cosine", "base", base);
        rate("cosine", "min", min);
        return k -> at("cosine", k, k >= total ? min : min + (base - min) * (1 + Math.cos(Math.PI * k / total)) / 2);
    }

    /**
     * From {@code start} to {@code end} in a straight line over {@code total} steps, then {@code end}.
     *
     * @throws IllegalArgumentException if {@code total} is below 1, or a rate is negative, infinite or NaN
     */
    static Schedule linear(double start, double end, int total) {
        if (total < 1) {
            throw new IllegalArgumentException("linear schedule: total must be >= 1, got " + total);
        }
        rate("linear", "start", start);
        rate("linear", "end", end);
        return k -> at("linear", k, k >= total ? end : start + (end - start) * k / total);
    }

    /** Checks an argument that is a rate or a factor of one: finite and >= 0, as an optimizer's rate must be. */
    private static void rate(String schedule, String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(schedule + " schedule: " + name + " must be finite and >= 0, got " + value);
        }
    }

    /** {@code rate}, the rate at step {@code k}, once k is checked: a negative step is a caller's bug. */
    private static double at(String schedule, int k, double rate) {
        if (k < 0) {
            throw new IllegalArgumentException(schedule + " schedule: step k must be >= 0, got " + k);
        }
        return rate;
    }
}
