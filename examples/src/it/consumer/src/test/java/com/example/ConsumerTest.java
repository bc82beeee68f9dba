package com.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.GradCheck;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Value;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Sequential;
import io.github.jgrad.testing.Property;
import io.github.jgrad.testing.ValueGraphs;
import org.junit.jupiter.api.Test;

/** What a user's build sees of jgrad, by coordinates only. */
class ConsumerTest {
    @Test
    void readmeFirstExample() {
        Value a = Value.of(-4.0, "a");
        Value b = Value.of(2.0, "b");
        Value c = a.mul(b).add(b.pow(3)).label("c");   // c = a*b + b^3 = 0
        Value d = c.tanh().add(a.relu()).label("d");   // d = tanh(c) + relu(a)
        d.backward();
        assertEquals(0.0, d.data());
        assertEquals(2.0, a.grad());
        assertEquals(8.0, b.grad());
    }

    @Test
    void gradientProperty() {
        Property.forAll(ValueGraphs.builtin().cases(3, 8)).tries(300).check(c -> {
            Property.assume(c.isSmooth());
            GradCheck.defaults().check(c.graph()::apply, c.point()).orThrow();
        });
    }

    @Test
    void matmulAndLayersWithoutNativeBinaries() {
        // no OpenBLAS binaries on this class path: products run on jgrad's Java kernel
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor y = x.matmul(Tensor.of(new double[] {1, 0, 0, 2}, 2, 2));
        assertArrayEquals(new double[] {1, 4, 3, 8}, y.toArray());
        y.sum().backward();
        assertArrayEquals(new double[] {1, 2, 1, 2}, x.grad().toArray());
        Sequential mlp = Sequential.mlp(1, Activation.tanh(), 2, 8, 1);
        assertEquals(1, mlp.forward(Tensor.zeros(5, 2)).shape(1));
        assertTrue(mlp.parameters().size() > 0);
    }
}
