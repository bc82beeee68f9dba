package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Module.save and Module.load: round trips, and errors that name the parameter and leave the model alone. */
class ModuleFileTest {

    @Test
    void saveAndLoadRoundTripExactly(@TempDir Path dir) throws IOException {
        Sequential a = Sequential.mlp(1, Activation.tanh(), 3, 5, 2);
        Sequential b = Sequential.mlp(2, Activation.tanh(), 3, 5, 2);
        Path file = dir.resolve("model.npz");
        a.save(file);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(Npz.load(file).keySet()));
        b.load(file);
        for (String name : a.namedParameters().keySet()) {
            assertArrayEquals(a.namedParameters().get(name).toArray(), b.namedParameters().get(name).toArray(), 0, name);
        }
        Tensor x = Tensor.randn(new SplittableRandom(3), 4, 3);
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray(), 0);
        assertTrue(b.namedParameters().get("0.weight").requiresGrad(), "loaded parameters still train");
    }

    @Test
    void aCheckpointsModelLoadsForInference(@TempDir Path dir) throws IOException { // a new user's probe
        // Module.load of a trainer's checkpoint said "has no parameter '0.weight'": the way to the best
        // epoch's weights without building an optimizer went through Trainer.resume
        Sequential trained = Sequential.of(Linear.of(2, 4, 1), Activation.tanh(), Dropout.of(0.2, 3), Linear.of(4, 2, 2));
        Adam adam = Adam.of(trained.parameters(), 0.05);
        Tensor x = Tensor.randn(new SplittableRandom(4), 16, 2);
        Tensor y = Tensor.of(new double[16]);
        Trainer t = Trainer.of(trained, adam, (in, target) -> Loss.crossEntropy(trained.forward(in), target)).progress(null);
        t.fit(DataLoader.of(x, y, 8, true, 5), 2);
        Path ck = dir.resolve("run.npz");
        t.save(ck);
        Sequential fresh = Sequential.of(Linear.of(2, 4, 7), Activation.tanh(), Dropout.of(0.5, 9), Linear.of(4, 2, 8));
        fresh.load(ck);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(trained.parameters().get(i).toArray(), fresh.parameters().get(i).toArray(), 0);
        }
        Sequential other = Sequential.of(Linear.of(2, 5, 7), Activation.tanh(), Linear.of(5, 2, 8));
        IOException e = assertThrows(IOException.class, () -> other.load(ck));
        assertTrue(e.getMessage().contains("parameter '0.weight' has shape (2, 4) in the file but (2, 5) in the model"),
                e.getMessage());
    }

    @Test
    void toConvertsEveryParameterInPlaceAndLoadConvertsToTheModelsDtype(@TempDir Path dir) throws IOException {
        Sequential a = Sequential.mlp(1, Activation.tanh(), 3, 5, 2);
        Tensor w = a.namedParameters().get("0.weight");
        double[] before = w.toArray();
        Tensor x = Tensor.randn(new SplittableRandom(3), 4, 3);
        a.forward(x).sum().backward();
        Tensor y = a.forward(x).sum(); // computed before the conversion: cannot be differentiated after it
        assertSame(a, a.to(DType.FLOAT32));
        assertSame(w, a.namedParameters().get("0.weight"), "the same parameter objects: layers and optimizers keep them");
        for (Tensor p : a.parameters()) {
            assertEquals(DType.FLOAT32, p.dtype());
            assertEquals(DType.FLOAT32, p.grad().dtype(), "gradients converted too");
            assertTrue(p.requiresGrad());
        }
        for (int i = 0; i < before.length; i++) {
            assertEquals((float) before[i], (float) w.toArray()[i], "rounded to nearest");
        }
        assertThrows(IllegalStateException.class, y::backward, "a graph from the float64 values");
        assertEquals(DType.FLOAT32, a.forward(x.to(DType.FLOAT32)).dtype());
        // a float64 input is refused, as PyTorch's layers refuse it (it trained a float32 model in float64)
        // a layer built in float32 gets a float32 bias (it was float64, and trained the layer in float64)
        Linear built = Linear.of(3, 2, (seed, fanIn, fanOut, shape) -> Tensor.ones(DType.FLOAT32, shape), 1);
        assertEquals(DType.FLOAT32, built.forward(Tensor.ones(DType.FLOAT32, 1, 3)).dtype());
        assertThrows(IllegalArgumentException.class, () -> Linear.of(Tensor.ones(DType.FLOAT32, 3, 2), Tensor.zeros(2)));
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class, () -> a.forward(x));
        assertEquals("Linear(3 -> 5): input of dtype float64, but the layer's weight is float32; convert the input"
                + " (x.to(DType.FLOAT32)) or the model (Module.to), as PyTorch requires", mixed.getMessage());

        Path file32 = dir.resolve("f32.npz");
        a.save(file32);
        assertEquals(DType.FLOAT32, Npz.load(file32).get("0.weight").dtype(), "saved as <f4");
        Sequential b = Sequential.mlp(2, Activation.tanh(), 3, 5, 2); // float64
        b.load(file32);
        assertEquals(DType.FLOAT64, b.namedParameters().get("0.weight").dtype(), "loaded into the model's dtype");
        assertArrayEquals(w.toArray(), b.namedParameters().get("0.weight").toArray(), 0, "float32 to float64 is exact");
        Path file64 = dir.resolve("f64.npz");
        Sequential c = Sequential.mlp(1, Activation.tanh(), 3, 5, 2);
        c.save(file64);
        a.load(file64);
        assertEquals(DType.FLOAT32, w.dtype());
        assertArrayEquals(w.toFloatArray(), c.namedParameters().get("0.weight").toFloatArray(), "rounded on load");
    }

    @Test
    void aLinearLayerFromGivenFloat32WeightsIsFloat32() {
        Linear l = Linear.of(Tensor.of(new float[] {0.1f, 2}, 1, 2), Tensor.of(new float[] {3, 4}));
        assertEquals(DType.FLOAT32, l.weight().dtype());
        assertEquals(DType.FLOAT32, l.bias().dtype());
        assertArrayEquals(new float[] {0.1f, 2}, l.weight().toFloatArray());
    }

    @Test
    void sharedParametersLoadFromFilesThatNameThemTwice(@TempDir Path dir) throws IOException {
        Linear shared = Linear.of(Tensor.of(new double[] {1}, 1, 1), Tensor.of(new double[] {0}));
        Sequential twice = Sequential.of(shared, shared);
        Path full = dir.resolve("full.npz");
        Map<String, Tensor> everyName = new LinkedHashMap<>();
        everyName.put("0.weight", Tensor.of(new double[] {5}, 1, 1));
        everyName.put("0.bias", Tensor.of(new double[] {6}));
        everyName.put("1.weight", Tensor.of(new double[] {5}, 1, 1));
        everyName.put("1.bias", Tensor.of(new double[] {6}));
        Npz.save(full, everyName);
        twice.load(full);
        assertEquals(5.0, shared.weight().item());
        assertEquals(6.0, shared.bias().item());

        everyName.put("1.bias", Tensor.of(new double[] {7}));
        Npz.save(full, everyName);
        IOException e = assertThrows(IOException.class, () -> twice.load(full));
        assertTrue(e.getMessage().contains("'1.bias'") && e.getMessage().contains("'0.bias'"), e.getMessage());
    }

    @Test
    void mismatchedFilesAreRejectedWithoutTouchingTheModel(@TempDir Path dir) throws IOException {
        Sequential model = Sequential.mlp(1, Activation.relu(), 2, 4, 1);
        double[] before = model.namedParameters().get("0.weight").toArray();

        Path wrongShape = dir.resolve("shape.npz");
        Map<String, Tensor> m = new LinkedHashMap<>(model.namedParameters());
        m.put("0.bias", Tensor.zeros(5));
        Npz.save(wrongShape, m);
        IOException e = assertThrows(IOException.class, () -> model.load(wrongShape));
        assertTrue(e.getMessage().contains("'0.bias'") && e.getMessage().contains("(5)") && e.getMessage().contains("(4)"),
                e.getMessage());

        Path pytorch = dir.resolve("pytorch.npz");                  // a weight in PyTorch's (out, in) layout
        m = new LinkedHashMap<>(model.namedParameters());
        m.put("0.weight", Tensor.zeros(4, 2));
        Npz.save(pytorch, m);
        e = assertThrows(IOException.class, () -> model.load(pytorch));
        assertTrue(e.getMessage().endsWith("parameter '0.weight' has shape (4, 2) in the file but (2, 4) in the model"
                + " (its transpose: PyTorch stores a linear layer's weight as (out, in), jgrad as (in, out))"), e.getMessage());

        Path missing = dir.resolve("missing.npz");
        m = new LinkedHashMap<>(model.namedParameters());
        m.remove("2.weight");
        Npz.save(missing, m);
        e = assertThrows(IOException.class, () -> model.load(missing));
        assertTrue(e.getMessage().contains("no parameter '2.weight'"), e.getMessage());

        Path extra = dir.resolve("extra.npz");
        m = new LinkedHashMap<>(model.namedParameters());
        m.put("3.weight", Tensor.zeros(1));
        Npz.save(extra, m);
        e = assertThrows(IOException.class, () -> model.load(extra));
        assertTrue(e.getMessage().contains("'3.weight'"), e.getMessage());

        Path truncated = dir.resolve("truncated.npz");
        model.save(truncated);
        byte[] bytes = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThrows(IOException.class, () -> model.load(truncated));

        assertArrayEquals(before, model.namedParameters().get("0.weight").toArray(), 0, "the model kept its values");
    }

    @Test
    void frozenParametersLoadToo(@TempDir Path dir) throws IOException {
        // was: IllegalStateException from copyFrom halfway through, the first layer already overwritten
        Path file = dir.resolve("f.npz");
        Sequential saved = Sequential.mlp(1, Activation.relu(), 2, 3, 1);
        saved.save(file);
        Sequential m = Sequential.mlp(2, Activation.relu(), 2, 3, 1);
        ((Linear) m.get(2)).weight().requiresGrad(false);                 // fine-tuning: the head is frozen
        m.load(file);
        for (String name : saved.namedParameters().keySet()) {
            assertArrayEquals(saved.namedParameters().get(name).toArray(), m.namedParameters().get(name).toArray(), 0,
                    name);
        }
        assertFalse(((Linear) m.get(2)).weight().requiresGrad(), "still frozen");
    }
}
