package io.github.jgrad.examples;

import io.github.jgrad.autodiff.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * micrograd's {@code nn.py} in Java: a multi-layer perceptron of scalar {@link Value} neurons. Each
 * neuron computes relu(w . x + b) (the last layer is linear); the weighted sum is one {@code dot}
 * node, not a chain of additions.
 */
public final class MicrogradMlp {
    private final List<List<List<Value>>> weights = new ArrayList<>(); // layer -> neuron -> inputs
    private final List<List<Value>> biases = new ArrayList<>();        // layer -> neuron

    /**
     * An MLP with the given layer sizes; {@code initial[l][j][i]} is the starting weight from input i
     * to neuron j of layer l, biases start at 0 (micrograd draws weights from U(-1, 1)).
     */
    public MicrogradMlp(double[][][] initial) {
        for (double[][] layer : initial) {
            List<List<Value>> w = new ArrayList<>();
            List<Value> b = new ArrayList<>();
            for (double[] neuron : layer) {
                w.add(Value.of(neuron));
                b.add(Value.of(0));
            }
            weights.add(w);
            biases.add(b);
        }
    }

    /** The network's output for one input point. */
    public Value forward(List<Value> x) {
        List<Value> in = x;
        for (int l = 0; l < weights.size(); l++) {
            boolean last = l == weights.size() - 1;
            List<Value> out = new ArrayList<>();
            for (int j = 0; j < weights.get(l).size(); j++) {
                Value act = Value.dot(weights.get(l).get(j), in).add(biases.get(l).get(j));
                out.add(last ? act : act.relu());
            }
            in = out;
        }
        return in.get(0);
    }

    /** Every weight and bias. */
    public List<Value> parameters() {
        List<Value> ps = new ArrayList<>();
        for (int l = 0; l < weights.size(); l++) {
            for (int j = 0; j < weights.get(l).size(); j++) {
                ps.addAll(weights.get(l).get(j));
                ps.add(biases.get(l).get(j));
            }
        }
        return ps;
    }
}
