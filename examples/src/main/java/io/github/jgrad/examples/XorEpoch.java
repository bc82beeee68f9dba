package io.github.jgrad.examples;

import io.github.jgrad.autodiff.Explain;
import io.github.jgrad.autodiff.Explanation;
import io.github.jgrad.autodiff.Value;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Seed 001: one epoch of a 2-2-1 sigmoid network on one XOR example, explained step by step by
 * {@link Explain} and checked against the delta rule the post derives.
 *
 * <p><b>What the seed's text keeps:</b> inputs x1 = 1, x2 = 0 and a bias input of 1; target 1; sigmoid
 * in the hidden and the output layer; squared error E = (y - O)^2 / 2 ("the 0.5 is added to simplify
 * the derivative"); learning rate 0.3; first-layer weights W, second-layer weights V; and the output
 * of its forward pass, 0.7539. Its weights, and so its updates, were in images that are not in the
 * text: they cannot be checked. The weights here ({@link #W}, {@link #V}) are our own choice, so the
 * output is not 0.7539.
 *
 * <p><b>What is checked:</b> the delta rule. With O = sigmoid(zo), zo = v1*h1 + v2*h2 + vb*bias and
 * h_j = sigmoid(zh_j), zh_j = w1j*x1 + w2j*x2 + wbj*bias:
 * dE/dv_j = (O - y) O (1 - O) h_j and dE/dw_ij = (O - y) O (1 - O) v_j h_j (1 - h_j) x_i; each
 * weight then moves by -0.3 times its gradient. The tests compare these with the explain steps.
 */
public final class XorEpoch {
    static final double X1 = 1;
    static final double X2 = 0;
    static final double BIAS = 1;
    static final double TARGET = 1;
    static final double LEARNING_RATE = 0.3;
    /** The output of the post's forward pass, the one number of its epoch its text keeps. */
    static final double SEED_OUTPUT = 0.7539;

    /** Our first-layer weights: W[i][j] from input i (x1, x2, bias) to hidden node j (h1, h2). */
    static final double[][] W = {{0.2, -0.3}, {0.4, 0.1}, {-0.1, 0.2}};
    /** Our second-layer weights: V[j] from h1, h2 and the bias to the output. */
    static final double[] V = {0.5, -0.4, 0.3};

    static final String[] INPUTS = {"x1", "x2", "bias"};
    static final String[][] W_NAMES = {{"w11", "w12"}, {"w21", "w22"}, {"wb1", "wb2"}};
    static final String[] V_NAMES = {"v1", "v2", "vb"};

    private XorEpoch() {
    }

    /** One epoch with our weights {@link #W} and {@link #V}. */
    public static WorkedPass run() {
        return run(W, V);
    }

    /** One epoch with first-layer weights {@code w} (3 x 2, as {@link #W}) and output weights {@code v} (3). */
    static WorkedPass run(double[][] w, double[] v) {
        WorkedPass e = new WorkedPass();
        double[] x = {X1, X2, BIAS};
        List<Value> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(e.put(Value.of(x[i], INPUTS[i])));
        }
        List<Value> params = new ArrayList<>();
        List<Value> hidden = new ArrayList<>();
        for (int j = 0; j < 2; j++) {
            List<Value> wj = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                wj.add(e.put(Value.of(w[i][j], W_NAMES[i][j])));
            }
            params.addAll(wj);
            Value z = e.put(Value.dot(wj, inputs).label("zh" + (j + 1)));
            hidden.add(e.put(z.sigmoid().label("h" + (j + 1))));
        }
        hidden.add(inputs.get(2)); // the bias feeds the output too
        List<Value> vs = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
            vs.add(e.put(Value.of(v[j], V_NAMES[j])));
        }
        params.addAll(vs);
        Value zo = e.put(Value.dot(vs, hidden).label("zo"));
        Value o = e.put(zo.sigmoid().label("O"));
        // E = (y - O)^2 / 2, written (O - y)^2 * 0.5: the same number, y a constant
        Value error = e.put(o.sub(TARGET).pow(2).mul(0.5).label("E"));
        e.backwardAndUpdate(error, params, LEARNING_RATE);
        return e;
    }

    /** The delta rule of the post for weight {@code name}, in plain doubles from the forward values. */
    static double deltaRule(WorkedPass e, String name) {
        double o = e.get("O").data();
        double deltaOut = (o - TARGET) * o * (1 - o);
        for (int j = 0; j < 3; j++) {
            if (V_NAMES[j].equals(name)) {
                return deltaOut * (j < 2 ? e.get("h" + (j + 1)).data() : BIAS);
            }
        }
        double[] x = {X1, X2, BIAS};
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                if (W_NAMES[i][j].equals(name)) {
                    double h = e.get("h" + (j + 1)).data();
                    return deltaOut * e.before.get(V_NAMES[j]) * h * (1 - h) * x[i];
                }
            }
        }
        throw new IllegalArgumentException("no weight named " + name);
    }

    /** The explain step that gives the whole gradient dE/d{@code name}. */
    static Explanation.Step gradientStep(WorkedPass e, String name) {
        for (Explanation.Step s : e.explained().steps()) {
            if (s.name().equals(name) && s.isWholeGradient()) {
                return s;
            }
        }
        throw new IllegalArgumentException("no step computes dE/d" + name);
    }

    /** Prints the forward pass, the explained backward pass, the delta rule beside it, and the update. */
    public static void print(WorkedPass e, PrintStream out) {
        out.println("Seed 001: one epoch of a 2-2-1 sigmoid network on XOR (x1 = 1, x2 = 0, bias 1; target 1; lr 0.3)");
        out.println("E = (y - O)^2 / 2. The post's weights were in images its text lost; these are our own,");
        out.printf(Locale.ROOT, "so the output is %.4f, not the post's %.4f.%n", e.get("O").data(), SEED_OUTPUT);
        out.println();
        out.print(e.explained().toText());
        out.println();
        out.println("The delta rule: dE/dv_j = (O - y) O (1 - O) h_j, dE/dw_ij = (O - y) O (1 - O) v_j h_j (1 - h_j) x_i");
        for (String name : e.before.keySet()) {
            Explanation.Step s = gradientStep(e, name);
            out.printf(Locale.ROOT, "  dE/d%-3s  step %2d: %11.8f   delta rule: %11.8f   update %7.4f -> %11.8f%n",
                    name, s.number(), s.value(), deltaRule(e, name), e.before.get(name), e.after.get(name));
        }
    }

    /** Runs the epoch and prints it. */
    public static void main(String[] args) {
        print(run(), System.out);
    }
}
