package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A piece of a network: a function of a tensor with parameters, possibly made of other modules.
 *
 * <p>Subclasses register their parameters and sub-modules in their constructor; parameter names are
 * dotted paths ({@code "0.weight"}, {@code "encoder.1.bias"}), in registration order, as in PyTorch.
 * A module is in training mode until {@link #eval()}; only some modules (dropout) behave differently.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** This module applied to {@code x}. */
    public abstract Tensor forward(Tensor x);

    /**
     * Registers a parameter under {@code name}, marks it as requiring a gradient and returns it.
     *
     * @throws IllegalArgumentException if the name is taken or malformed
     */
    protected final Tensor register(String name, Tensor parameter) {
        checkName(name);
        parameters.put(name, Objects.requireNonNull(parameter, name).requiresGrad(true));
        return parameter;
    }

    /** Registers a sub-module under {@code name} and returns it. */
    protected final <M extends Module> M register(String name, M child) {
        checkName(name);
        children.put(name, Objects.requireNonNull(child, name));
        return child;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".") || parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("register: name '" + name + "' is empty, contains '.', or is taken in "
                    + getClass().getSimpleName());
        }
    }

    /** Every parameter with its dotted name, in registration order (a new, unmodifiable map). */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect("", all);
        return Collections.unmodifiableMap(all);
    }

    private void collect(String prefix, Map<String, Tensor> into) {
        for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
            into.put(prefix + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", into);
        }
    }

    /** Every parameter, in the order of {@link #namedParameters()}. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The number of scalar parameters. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor p : namedParameters().values()) {
            n += p.size();
        }
        return n;
    }

    /** Forgets every parameter's gradient. */
    public final void zeroGrad() {
        for (Tensor p : namedParameters().values()) {
            p.zeroGrad();
        }
    }

    /** Switches this module and its sub-modules to training mode; returns this. */
    public final Module train() {
        setTraining(true);
        return this;
    }

    /** Switches this module and its sub-modules to evaluation mode (dropout off); returns this. */
    public final Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        training = on;
        for (Module child : children.values()) {
            child.setTraining(on);
        }
    }

    /** Whether this module is in training mode. */
    public final boolean isTraining() {
        return training;
    }

    /** The sub-modules, by name (unmodifiable). */
    protected final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }
}
