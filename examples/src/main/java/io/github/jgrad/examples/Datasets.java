package io.github.jgrad.examples;

import io.github.jgrad.autodiff.Tensor;
import java.util.SplittableRandom;

/** Small seeded toy datasets: two moons, spirals, two blobs. Inputs are (n, 2); labels are per row. */
public final class Datasets {
    private Datasets() {
    }

    /** Points with their labels. */
    public record Labelled(Tensor inputs, int[] labels) {
        /** The labels as a column tensor of +1/-1 (for hinge losses). */
        public Tensor signs() {
            double[] s = new double[labels.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = labels[i] == 1 ? 1 : -1;
            }
            return Tensor.of(s, s.length, 1);
        }

        /** The labels as a vector of class indices (for cross-entropy). */
        public Tensor classes() {
            double[] s = new double[labels.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = labels[i];
            }
            return Tensor.of(s);
        }

        /** The labels as a column tensor of 0/1 (for binary cross-entropy). */
        public Tensor zeroOne() {
            double[] s = new double[labels.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = labels[i];
            }
            return Tensor.of(s, s.length, 1);
        }
    }

    /**
     * Two interleaving half circles, as scikit-learn's {@code make_moons}: n/2 points on the upper
     * moon (label 0), the rest on the lower one (label 1), plus Gaussian noise of the given deviation.
     *
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static Labelled moons(int n, double noise, long seed) {
        requireCount("moons", "n", n);
        SplittableRandom r = new SplittableRandom(seed);
        int outer = n / 2;
        int inner = n - outer;
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            boolean upper = i < outer;
            int count = upper ? outer : inner; // t as numpy's linspace(0, pi, count): 0 alone if count is 1
            double t = count == 1 ? 0 : Math.PI * (upper ? i : i - outer) / (count - 1.0);
            x[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + noise * r.nextGaussian();
            x[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * r.nextGaussian();
            y[i] = upper ? 0 : 1;
        }
        return new Labelled(Tensor.of(x, n, 2), y);
    }

    /**
     * {@code classes} interleaved spirals of {@code perClass} points each, as in Stanford's CS231n
     * notes: radius 0 to 1, angle 4 radians per class plus Gaussian noise of deviation 0.2.
     *
     * @throws IllegalArgumentException if {@code perClass} or {@code classes} is negative
     */
    public static Labelled spirals(int perClass, int classes, long seed) {
        requireCount("spirals", "perClass", perClass);
        requireCount("spirals", "classes", classes);
        SplittableRandom r = new SplittableRandom(seed);
        int n = perClass * classes;
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < perClass; i++) {
                int k = c * perClass + i;
                double radius = spaced(i, perClass);
                double angle = c * 4 + 4 * radius + 0.2 * r.nextGaussian();
                x[2 * k] = radius * Math.sin(angle);
                x[2 * k + 1] = radius * Math.cos(angle);
                y[k] = c;
            }
        }
        return new Labelled(Tensor.of(x, n, 2), y);
    }

    /**
     * Two Gaussian blobs of unit deviation around (-2, -2) (label 0) and (2, 2) (label 1), alternating.
     *
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static Labelled blobs(int n, long seed) {
        requireCount("blobs", "n", n);
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            double sign = y[i] == 1 ? 1 : -1;
            x[2 * i] = 2 * sign + r.nextGaussian();
            x[2 * i + 1] = 2 * sign + r.nextGaussian();
        }
        return new Labelled(Tensor.of(x, n, 2), y);
    }

    /** The i-th of {@code count} points evenly spaced from 0 to 1, as numpy's {@code linspace(0, 1, count)}. */
    private static double spaced(int i, int count) {
        return count == 1 ? 0 : (double) i / (count - 1);
    }

    private static void requireCount(String method, String name, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("Datasets." + method + ": " + name + " must be >= 0, got " + count);
        }
    }
}
