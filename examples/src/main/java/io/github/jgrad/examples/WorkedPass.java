package io.github.jgrad.examples;

import io.github.jgrad.autodiff.Explain;
import io.github.jgrad.autodiff.Explanation;
import io.github.jgrad.autodiff.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One worked backprop step on a small scalar network, as the seeds lay it out: every named value in
 * forward order, the backward pass explained step by step, and each parameter before and after one
 * gradient-descent update.
 */
public final class WorkedPass {
    /** Every named value on the tape, in forward order. */
    public final Map<String, Value> values = new LinkedHashMap<>();
    /** The parameters before the update. */
    public final Map<String, Double> before = new LinkedHashMap<>();
    /** The parameters after the update p - lr * dLoss/dp. */
    public final Map<String, Double> after = new LinkedHashMap<>();
    private Explanation explained;

    /** The value named {@code name}. */
    public Value get(String name) {
        Value v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no value named " + name + "; names: " + values.keySet());
        }
        return v;
    }

    /** The backward pass, step by step (taken before the update). */
    public Explanation explained() {
        return explained;
    }

    /** Records {@code v} under its label and returns it. */
    Value put(Value v) {
        values.put(v.label(), v);
        return v;
    }

    /** Runs and explains the backward pass from {@code loss}, then updates {@code parameters} with rate {@code lr}. */
    void backwardAndUpdate(Value loss, List<Value> parameters, double lr) {
        explained = Explain.backward(loss);
        for (Value p : parameters) {
            before.put(p.label(), p.data());
            p.setData(p.data() - lr * p.grad());
            after.put(p.label(), p.data());
        }
    }
}
