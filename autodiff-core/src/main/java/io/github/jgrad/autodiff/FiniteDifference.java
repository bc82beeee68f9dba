package io.github.jgrad.autodiff;

import java.util.Locale;
import java.util.function.DoubleFunction;
import java.util.function.ToDoubleFunction;

/**
 * {@link GradCheck}'s finite differences along one line through x: f at 0, +-h and +-h/2, the central
 * differences D(h) and D(h/2), their Richardson extrapolation, and the rules that refuse to trust them
 * (documented on {@link GradCheck}: f not finite on the line, rounding noise above the tolerance, a
 * kink or jump, no convergence).
 */
final class FiniteDifference {
    /** A kink keeps |J(h/2)| near |J(h)|, a jump doubles it; a smooth f halves it. */
    private static final double KINK_RATIO = 0.75;
    /** A larger growth of |J| with halving h is not a kink or jump but noise (J(h) near 0 by chance). */
    private static final double MAX_KINK_RATIO = 3;
    /** Kinks and non-convergence count only if the values of f behind them differ by more ulps of f. */
    private static final double EVIDENCE_ULPS = 64;

    /** A function that can tell the largest magnitude whose rounding entered its last value (a tensor check's). */
    interface RoundingScale {
        double lastScale();
    }

    private final double f0;
    private final double h;
    private double upWide;
    private double downWide;
    private double upNarrow;
    private double downNarrow;
    /** D(h) and D(h/2). */
    private double wide;
    private double narrow;
    /** Largest magnitude whose rounding entered a value of f on this line (beyond the values themselves). */
    private double scale;

    private FiniteDifference(double f0, double h) {
        this.f0 = f0;
        this.h = h;
    }

    /** Along e_i: f at {@code point} with coordinate i moved by +-h and +-h/2; {@code point} is left as it was. */
    static FiniteDifference central(ToDoubleFunction<double[]> f, double[] point, int i, double f0, double h) {
        double x = point[i];
        FiniteDifference line = new FiniteDifference(f0, h);
        DoubleFunction<double[]> at = t -> {
            point[i] = x + t;
            return point;
        };
        line.wide = line.difference(f, at, h, true);
        line.narrow = line.difference(f, at, h / 2, false);
        point[i] = x;
        return line;
    }

    /** Along u: f at x + t u for t = +-h, +-h/2; {@code point} is scratch space. */
    static FiniteDifference along(ToDoubleFunction<double[]> f, double[] x, double[] u, double f0, double h,
                                  double[] point) {
        FiniteDifference line = new FiniteDifference(f0, h);
        DoubleFunction<double[]> at = t -> {
            for (int i = 0; i < x.length; i++) {
                point[i] = x[i] + t * u[i];
            }
            return point;
        };
        line.wide = line.difference(f, at, h, true);
        line.narrow = line.difference(f, at, h / 2, false);
        return line;
    }

    /** (f(at(step)) - f(at(-step))) / 2 step, recording both values. */
    private double difference(ToDoubleFunction<double[]> f, DoubleFunction<double[]> at, double step, boolean isWide) {
        double up = f.applyAsDouble(at.apply(step));
        scaleOf(f);
        double down = f.applyAsDouble(at.apply(-step));
        scaleOf(f);
        record(up, down, isWide);
        return (up - down) / (2 * step);
    }

    /** Notes the rounding scale of f's last evaluation, where f reports one (tensor checks). */
    private void scaleOf(ToDoubleFunction<double[]> f) {
        if (f instanceof RoundingScale r) {
            scale = Math.max(scale, r.lastScale());
        }
    }

    private void record(double up, double down, boolean isWide) {
        if (isWide) {
            upWide = up;
            downWide = down;
        } else {
            upNarrow = up;
            downNarrow = down;
        }
    }

    private String step() {
        return String.format(Locale.ROOT, "%.3g", h);
    }

    /** Richardson: cancels the h^2 error term of the central difference. */
    double numeric() {
        return narrow + (narrow - wide) / 3; // (4 D(h/2) - D(h)) / 3, without 4 D(h/2) overflowing
    }

    /** Why finite differences along this line cannot be trusted to {@code allowed}, or null. */
    String distrust(double allowed, double analytic, String along) {
        if (!Double.isFinite(upWide) || !Double.isFinite(downWide)
                || !Double.isFinite(upNarrow) || !Double.isFinite(downNarrow)) {
            String where = !Double.isFinite(upWide) ? "x + h " + along + " is " + upWide
                    : !Double.isFinite(downWide) ? "x - h " + along + " is " + downWide
                    : !Double.isFinite(upNarrow) ? "x + h/2 " + along + " is " + upNarrow
                    : "x - h/2 " + along + " is " + downNarrow;
            return "f(x) is finite but f at " + where + " (h = " + step()
                    + "): the step leaves f's domain or overflows; a smaller eps may help";
        }
        double largest = Math.max(Math.max(Math.abs(f0), Math.max(Math.abs(upWide), Math.abs(downWide))),
                Math.max(Math.max(Math.abs(upNarrow), Math.abs(downNarrow)), scale));
        double noise = largest == 0 ? 0 : Math.ulp(largest) / (2 * h); // f == 0 exactly: nothing was rounded
        // a zero tolerance (atol 0 where the derivative is 0) asks for exact agreement: no rounding
        // noise is small enough for it, so this rule would refuse every such point. And where f
        // does not move at all (an input it ignores), a gradient within the tolerance of 0 agrees
        boolean still = upWide == f0 && downWide == f0 && upNarrow == f0 && downNarrow == f0;
        if (noise > allowed && allowed > 0 && !(still && Math.abs(analytic) <= allowed)) {
            return String.format(Locale.ROOT, "finite differences are unreliable there: rounding noise"
                    + " ulp(|f| = %.3g) / 2h = %.3g exceeds the tolerance %.3g (f is too large for its"
                    + " change over the step h = %s to be resolved; a larger eps, or subtracting a"
                    + " constant from f, may help)", largest, noise, allowed, step());
        }
        double jumpWide = (upWide - 2 * f0 + downWide) / h;
        double jumpNarrow = (upNarrow - 2 * f0 + downNarrow) / (h / 2);
        double kink = Math.abs(jumpNarrow);
        double evidence = EVIDENCE_ULPS * Math.ulp(largest);
        // signs compared, not the product, which underflows for a tiny f (1e-200 |x|)
        if (jumpNarrow != 0 && (jumpNarrow > 0) == (jumpWide > 0) && kink > KINK_RATIO * Math.abs(jumpWide)
                && kink <= MAX_KINK_RATIO * Math.abs(jumpWide) && kink > 2 * allowed && kink * (h / 2) > evidence) {
            return String.format(Locale.ROOT, "finite differences are unreliable there: slopes left %s"
                    + " and right %s (a kink or jump: the one-sided slopes differ by %s at step"
                    + " h/2 and by %s at h instead of halving, so f is not differentiable at or"
                    + " within h = %s of x)", number((f0 - downNarrow) / (h / 2)), number((upNarrow - f0) / (h / 2)),
                    number(kink), number(Math.abs(jumpWide)), step());
        }
        double change = Math.abs(wide - narrow);
        // change^2 / (|narrow| + change), as a product with a ratio in [0, 1]: change^2 overflows past 1e154
        if (change * h > evidence && change / (Math.abs(narrow) / change + 1) > allowed) {
            return String.format(Locale.ROOT, "finite differences are unreliable there: they do not"
                    + " converge: D(h) = %s and D(h/2) = %s (h = %s) differ by %.3g, too much for"
                    + " extrapolation to the tolerance %.3g (a kink or jump within the step, or"
                    + " rounding noise)", number(wide), number(narrow), step(), change, allowed);
        }
        return null;
    }

    /** v with up to 6 significant digits and no trailing zeros: 0, 1, 0.25, 2.00000e+06 as 2e+06. */
    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e6) {
            return Long.toString((long) v);
        }
        String s = String.format(Locale.ROOT, "%.6g", v);
        int e = s.indexOf('e');
        String mantissa = e < 0 ? s : s.substring(0, e);
        if (mantissa.indexOf('.') >= 0) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return e < 0 ? mantissa : mantissa + s.substring(e);
    }
}
