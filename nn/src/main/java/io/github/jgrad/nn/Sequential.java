package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/** Modules applied one after another; their parameters are named {@code "0.weight"}, {@code "1.bias"}, ... */
public final class Sequential extends Module {
    private final List<Module> layers;

    private Sequential(List<Module> layers) {
        this.layers = List.copyOf(layers);
        for (int i = 0; i < this.layers.size(); i++) {
            register(Integer.toString(i), this.layers.get(i));
        }
    }

    /** The modules in order. */
    public static Sequential of(Module... layers) {
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == null) {
                throw new NullPointerException("Sequential.of: module " + i + " of " + layers.length + " is null");
            }
        }
        return new Sequential(List.of(layers));
    }

    /**
     * A multi-layer perceptron: Linear layers of the given sizes with {@code activation} between them
     * (none after the last), He-uniform weights for ReLU-like activations and Xavier-uniform otherwise.
     * The layers' seeds are drawn from a generator seeded with {@code seed}, so models built with
     * different seeds (0, 1, 2, ...) share no layer's weights.
     */
    public static Sequential mlp(long seed, Activation activation, int... sizes) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("mlp: need at least an input and an output size, got " + sizes.length);
        }
        Objects.requireNonNull(activation, "mlp: activation is null");
        List<Module> layers = new ArrayList<>();
        Init init = activation.reluLike() ? Init.heUniform() : Init.xavierUniform();
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int i = 0; i + 1 < sizes.length; i++) {
            layers.add(Linear.of(sizes[i], sizes[i + 1], init, seeds.nextLong()));
            if (i + 2 < sizes.length) {
                layers.add(activation);
            }
        }
        return new Sequential(layers);
    }

    /** The module at {@code index}. */
    public Module get(int index) {
        if (index < 0 || index >= layers.size()) {
            throw new IndexOutOfBoundsException("Sequential.get: index " + index + " is out of range for "
                    + layers.size() + " modules");
        }
        return layers.get(index);
    }

    /** The number of modules. */
    public int size() {
        return layers.size();
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = x;
        for (Module m : layers) {
            y = m.forward(y);
        }
        return y;
    }
}
