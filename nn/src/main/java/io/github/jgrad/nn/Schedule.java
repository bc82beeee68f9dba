package io.github.jgrad.nn;

/**
 * A learning-rate schedule: the rate for a (0-based) step or epoch. Apply it with
 * {@code optimizer.setLearningRate(schedule.rate(k))} where the loop decides what k counts.
 */
@FunctionalInterface
public interface Schedule {
    /** The learning rate at step {@code k >= 0}; the built-in schedules throw for a negative k. */
    double rate(int k);

    /** The same rate throughout. */
    static Schedule constant(double rate) {
        return k -> at("constant", k, rate);
    }

    /** base * gamma^(k / every), as {@code StepLR}. */
    static Schedule step(double base, int every, double gamma) {
        if (every < 1) {
            throw new IllegalArgumentException("step schedule: every must be >= 1, got " + every);
        }
        return k -> at("step", k, base * Math.pow(gamma, Math.floorDiv(k, every)));
    }

    /** From {@code base} down to {@code min} along half a cosine over {@code total} steps, then {@code min}. */
    static Schedule cosine(double base, double min, int total) {
        if (total < 1) {
            throw new IllegalArgumentException("cosine schedule: total must be >= 1, got " + total);
        }
        return k -> at("cosine", k, k >= total ? min : min + (base - min) * (1 + Math.cos(Math.PI * k / total)) / 2);
    }

    /** From {@code start} to {@code end} in a straight line over {@code total} steps, then {@code end}. */
    static Schedule linear(double start, double end, int total) {
        if (total < 1) {
            throw new IllegalArgumentException("linear schedule: total must be >= 1, got " + total);
        }
        return k -> at("linear", k, k >= total ? end : start + (end - start) * k / total);
    }

    /** {@code rate}, the rate at step {@code k}, once k is checked: a negative step is a caller's bug. */
    private static double at(String schedule, int k, double rate) {
        if (k < 0) {
            throw new IllegalArgumentException(schedule + " schedule: step k must be >= 0, got " + k);
        }
        return rate;
    }
}
