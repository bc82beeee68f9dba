package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.Value;
import io.github.jgrad.examples.Datasets;
import io.github.jgrad.examples.MicrogradMlp;
import io.github.jgrad.examples.Moons;
import java.util.ArrayList;
import java.util.List;

/**
 * One step of micrograd's moons demo (100 points, MLP 2-16-16-1 with ReLU, hinge loss + 1e-4 L2,
 * gradient descent), three ways: on jgrad's scalar tape ({@link Tape}), on the least tape of the same
 * design ({@link Minimal}), and written by hand on plain arrays with the gradient equations coded
 * directly ({@link HandWritten}). All start from the same weights and compute the same numbers
 * (checked by the benchmarks' tests).
 */
final class MoonsStep {
    static final int POINTS = 100;
    static final int H = 16;
    static final double ALPHA = 1e-4;
    static final double LR = 0.5;

    private MoonsStep() {
    }

    static Datasets.Labelled data() {
        return Datasets.moons(POINTS, 0.1, 1);
    }

    /** The step on Value nodes, as micrograd writes it. */
    static final class Tape {
        final MicrogradMlp model = new MicrogradMlp(Moons.initialWeights(1337));
        final List<Value> params = model.parameters();
        final double[] x;
        final double[] y;
        private final double[] initial;

        Tape(Datasets.Labelled data) {
            x = data.inputs().toArray();
            y = data.signs().toArray();
            initial = new double[params.size()];
            for (int i = 0; i < initial.length; i++) {
                initial[i] = params.get(i).data();
            }
        }

        /** Back to the initial weights, in place (allocates nothing, so -prof gc counts only steps). */
        void reset() {
            for (int i = 0; i < initial.length; i++) {
                params.get(i).setData(initial[i]);
                params.get(i).zeroGrad();
            }
        }

        double step() {
            List<Value> hinge = new ArrayList<>(POINTS);
            for (int i = 0; i < POINTS; i++) {
                Value score = model.forward(Value.of(x[2 * i], x[2 * i + 1]));
                hinge.add(score.mul(-y[i]).add(1).relu());
            }
            List<Value> squares = new ArrayList<>(params.size());
            for (Value p : params) {
                squares.add(p.mul(p));
            }
            Value loss = Value.sum(hinge).div(POINTS).add(Value.sum(squares).mul(ALPHA));
            for (Value p : params) {
                p.zeroGrad();
            }
            loss.backward();
            for (Value p : params) {
                p.setData(p.data() - LR * p.grad());
            }
            return loss.data();
        }
    }

    /**
     * The same step as {@link Tape}, op for op, on {@link MinimalTape}: what any tape with an object per
     * value costs on this step, the floor for jgrad's.
     */
    static final class Minimal {
        final MinimalTape tape = new MinimalTape();
        final List<List<List<MinimalTape.Node>>> weights = new ArrayList<>(); // layer -> neuron -> inputs
        final List<List<MinimalTape.Node>> biases = new ArrayList<>();
        final List<MinimalTape.Node> params = new ArrayList<>();
        final double[] x;
        final double[] y;
        private final double[] initial;

        Minimal(Datasets.Labelled data) {
            x = data.inputs().toArray();
            y = data.signs().toArray();
            for (double[][] layer : Moons.initialWeights(1337)) { // MicrogradMlp's layout and order
                List<List<MinimalTape.Node>> w = new ArrayList<>();
                List<MinimalTape.Node> b = new ArrayList<>();
                for (double[] neuron : layer) {
                    List<MinimalTape.Node> ws = new ArrayList<>();
                    for (double v : neuron) {
                        ws.add(new MinimalTape.Node(v));
                    }
                    w.add(ws);
                    b.add(new MinimalTape.Node(0));
                    params.addAll(ws);
                    params.add(b.get(b.size() - 1));
                }
                weights.add(w);
                biases.add(b);
            }
            initial = new double[params.size()];
            for (int i = 0; i < initial.length; i++) {
                initial[i] = params.get(i).data;
            }
        }

        void reset() {
            for (int i = 0; i < initial.length; i++) {
                params.get(i).data = initial[i];
                params.get(i).grad = 0;
            }
        }

        double step() {
            List<MinimalTape.Node> hinge = new ArrayList<>(POINTS);
            for (int i = 0; i < POINTS; i++) {
                List<MinimalTape.Node> in = new ArrayList<>(2);
                in.add(new MinimalTape.Node(x[2 * i]));
                in.add(new MinimalTape.Node(x[2 * i + 1]));
                for (int l = 0; l < weights.size(); l++) {
                    boolean last = l == weights.size() - 1;
                    List<MinimalTape.Node> out = new ArrayList<>();
                    for (int j = 0; j < weights.get(l).size(); j++) {
                        MinimalTape.Node act = tape.add(tape.dot(weights.get(l).get(j), in), biases.get(l).get(j));
                        out.add(last ? act : tape.relu(act));
                    }
                    in = out;
                }
                MinimalTape.Node score = in.get(0);
                hinge.add(tape.relu(tape.add(tape.mul(score, new MinimalTape.Node(-y[i])), new MinimalTape.Node(1))));
            }
            List<MinimalTape.Node> squares = new ArrayList<>(params.size());
            for (MinimalTape.Node p : params) {
                squares.add(tape.mul(p, p));
            }
            MinimalTape.Node loss = tape.add(tape.div(tape.sum(hinge), new MinimalTape.Node(POINTS)),
                    tape.mul(tape.sum(squares), new MinimalTape.Node(ALPHA)));
            for (MinimalTape.Node p : params) {
                p.grad = 0;
            }
            tape.backward(loss);
            for (MinimalTape.Node p : params) {
                p.data -= LR * p.grad;
            }
            return loss.data;
        }
    }

    /** The same step on arrays: forward, the backward equations written out, the update. */
    static final class HandWritten {
        final double[][] w1 = new double[H][2];
        final double[] b1 = new double[H];
        final double[][] w2 = new double[H][H];
        final double[] b2 = new double[H];
        final double[] w3 = new double[H];
        double b3;
        final double[][] gw1 = new double[H][2];
        final double[] gb1 = new double[H];
        final double[][] gw2 = new double[H][H];
        final double[] gb2 = new double[H];
        final double[] gw3 = new double[H];
        double gb3;
        final double[] z1 = new double[H];
        final double[] h1 = new double[H];
        final double[] z2 = new double[H];
        final double[] h2 = new double[H];
        final double[] dz2 = new double[H];
        final double[] dz1 = new double[H];
        final double[] x;
        final double[] y;
        private final double[][][] initial = Moons.initialWeights(1337);

        HandWritten(Datasets.Labelled data) {
            x = data.inputs().toArray();
            y = data.signs().toArray();
            reset();
        }

        /** Back to the initial weights (biases 0), in place. */
        void reset() {
            for (int j = 0; j < H; j++) {
                System.arraycopy(initial[0][j], 0, w1[j], 0, 2);
                System.arraycopy(initial[1][j], 0, w2[j], 0, H);
            }
            System.arraycopy(initial[2][0], 0, w3, 0, H);
            java.util.Arrays.fill(b1, 0);
            java.util.Arrays.fill(b2, 0);
            b3 = 0;
        }

        double step() {
            for (int j = 0; j < H; j++) {
                java.util.Arrays.fill(gw1[j], 0);
                java.util.Arrays.fill(gw2[j], 0);
            }
            java.util.Arrays.fill(gb1, 0);
            java.util.Arrays.fill(gb2, 0);
            java.util.Arrays.fill(gw3, 0);
            gb3 = 0;
            double loss = 0;
            for (int i = 0; i < POINTS; i++) {
                double x0 = x[2 * i];
                double x1 = x[2 * i + 1];
                for (int j = 0; j < H; j++) {
                    z1[j] = w1[j][0] * x0 + w1[j][1] * x1 + b1[j];
                    h1[j] = z1[j] > 0 ? z1[j] : 0;
                }
                double s = b3;
                for (int j = 0; j < H; j++) {
                    double z = b2[j];
                    for (int k = 0; k < H; k++) {
                        z += w2[j][k] * h1[k];
                    }
                    z2[j] = z;
                    h2[j] = z > 0 ? z : 0;
                    s += w3[j] * h2[j];
                }
                double margin = 1 - y[i] * s;
                if (margin <= 0) {
                    continue;
                }
                loss += margin;
                double ds = -y[i] / POINTS;
                gb3 += ds;
                for (int j = 0; j < H; j++) {
                    gw3[j] += ds * h2[j];
                    dz2[j] = z2[j] > 0 ? ds * w3[j] : 0;
                    gb2[j] += dz2[j];
                }
                for (int k = 0; k < H; k++) {
                    double dh = 0;
                    for (int j = 0; j < H; j++) {
                        gw2[j][k] += dz2[j] * h1[k];
                        dh += w2[j][k] * dz2[j];
                    }
                    dz1[k] = z1[k] > 0 ? dh : 0;
                    gb1[k] += dz1[k];
                    gw1[k][0] += dz1[k] * x0;
                    gw1[k][1] += dz1[k] * x1;
                }
            }
            loss /= POINTS;
            double reg = b3 * b3;
            for (int j = 0; j < H; j++) {
                reg += w1[j][0] * w1[j][0] + w1[j][1] * w1[j][1] + b1[j] * b1[j] + b2[j] * b2[j] + w3[j] * w3[j];
                for (int k = 0; k < H; k++) {
                    reg += w2[j][k] * w2[j][k];
                }
            }
            loss += ALPHA * reg;
            double d = 2 * ALPHA;
            for (int j = 0; j < H; j++) {
                w1[j][0] -= LR * (gw1[j][0] + d * w1[j][0]);
                w1[j][1] -= LR * (gw1[j][1] + d * w1[j][1]);
                b1[j] -= LR * (gb1[j] + d * b1[j]);
                b2[j] -= LR * (gb2[j] + d * b2[j]);
                w3[j] -= LR * (gw3[j] + d * w3[j]);
                for (int k = 0; k < H; k++) {
                    w2[j][k] -= LR * (gw2[j][k] + d * w2[j][k]);
                }
            }
            b3 -= LR * (gb3 + d * b3);
            return loss;
        }
    }
}
