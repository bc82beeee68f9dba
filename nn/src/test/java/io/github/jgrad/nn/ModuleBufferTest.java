package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Buffers: state that is not trained, saved, loaded, converted and checkpointed with the parameters. */
class ModuleBufferTest {
    @TempDir
    Path dir;

    /** A linear map whose weight and a buffer are made in the first forward, from the input's width. */
    static final class Lazy extends Module {
        Tensor w;
        Tensor seen;

        @Override
        public Tensor forward(Tensor x) {
            if (w == null) {
                w = register("w", Tensor.randn(new SplittableRandom(3), x.shape(1), 1));
                seen = registerBuffer("seen", Tensor.zeros(1));
            }
            return x.matmul(w);
        }
    }

    @Test
    void aLayerThatMakesItsParametersInItsFirstForwardKeepsThem() throws IOException { // a new user's probe
        // made inside the trainer's Workspace scope, the weight and buffer were reclaimed when the batch ended
        Lazy lazy = new Lazy();
        Sequential m = Sequential.of(lazy);
        Tensor x = Tensor.randn(new SplittableRandom(1), 8, 3);
        Tensor y = x.matmul(Tensor.of(new double[] {1, -2, 0.5}, 3, 1));
        try (io.github.jgrad.autodiff.Workspace.Scope scope = io.github.jgrad.autodiff.Workspace.create().open()) {
            m.forward(x);
        }
        double[] w = lazy.w.toArray();                           // readable after the scope
        assertEquals(0, lazy.seen.item(), 0);
        SGD sgd = SGD.of(m.parameters(), 0.1);
        Trainer.of(m, sgd, (in, target) -> Loss.mse(m.forward(in), target)).progress(null)
                .fit(DataLoader.of(x, y, 4, false, 0), 30);      // every step in a scope of its own
        assertTrue(Math.abs(lazy.w.toArray()[1] - w[1]) > 0.1, "trained: " + java.util.Arrays.toString(lazy.w.toArray()));
        m.save(dir.resolve("lazy.npz"));
        assertEquals(List.of("0.w", "0.seen"), new java.util.ArrayList<>(io.github.jgrad.nn.Npz.load(dir.resolve("lazy.npz")).keySet()));
    }

    /** Centres by the batch mean while training and by a running mean (a buffer) in evaluation mode. */
    static final class Center extends Module {
        final Tensor runningMean;
        final Tensor count;

        Center(int features) {
            runningMean = registerBuffer("running_mean", Tensor.zeros(features));
            count = registerBuffer("count", Tensor.scalar(0));
        }

        @Override
        public Tensor forward(Tensor x) {
            if (!isTraining()) {
                return x.sub(runningMean);
            }
            Tensor mean = x.mean(0);
            try (GradMode.Scope off = GradMode.disabled()) {
                runningMean.copyFrom(runningMean.mul(0.9).add(mean.mul(0.1)));
                count.copyFrom(count.add(1));
            }
            return x.sub(mean);
        }
    }

    private static Sequential model() {
        return Sequential.of(Linear.of(3, 4, 1), new Center(4), Activation.tanh(), Linear.of(4, 2, 2));
    }

    private static final Tensor X = Tensor.randn(new SplittableRandom(5), 40, 3);
    private static final Tensor Y = X.sum(1, false).gt(0);

    private static Trainer trainer(Sequential m) {
        return Trainer.of(m, Adam.of(m.parameters(), 0.05), (x, y) -> Loss.crossEntropy(m.forward(x), y))
                .progress(null);
    }

    private static DataLoader loader() {
        return DataLoader.of(X, Y, 8, true, 3);
    }

    @Test
    void buffersAreNamedLikeParametersButAreNotParameters() {
        Sequential m = model();
        assertEquals(List.of("1.running_mean", "1.count"), List.copyOf(m.namedBuffers().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias"), List.copyOf(m.namedParameters().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "1.running_mean", "1.count"),
                List.copyOf(m.namedTensors().keySet()));
        assertEquals(4 * 3 + 4 + 4 * 2 + 2, m.parameterCount());
        trainer(m).fit(loader(), 1);
        Center c = (Center) m.children().get("1");
        assertEquals(5, c.count.item(), 0, "one update per batch");
        assertEquals(null, c.runningMean.grad(), "no gradient");
        m.to(DType.FLOAT32);
        assertEquals(DType.FLOAT32, c.runningMean.dtype());
        assertEquals(DType.FLOAT32, c.count.dtype());
    }

    @Test
    void registeringChecksTheNameAndTheTensor() {
        class Bad extends Module {
            @Override
            public Tensor forward(Tensor x) {
                return x;
            }
        }
        Bad b = new Bad();
        b.register("w", Tensor.zeros(2));
        IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
                () -> b.registerBuffer("w", Tensor.zeros(2)));
        assertTrue(taken.getMessage().contains("name 'w'") && taken.getMessage().contains("is taken"), taken.getMessage());
        b.registerBuffer("s", Tensor.zeros(2));
        assertThrows(IllegalArgumentException.class, () -> b.register("s", Tensor.zeros(2)));
        IllegalArgumentException trained = assertThrows(IllegalArgumentException.class,
                () -> b.registerBuffer("t", Tensor.zeros(2).requiresGrad(true)));
        assertTrue(trained.getMessage().startsWith("registerBuffer: buffer 't' requires grad"), trained.getMessage());
        NullPointerException none = assertThrows(NullPointerException.class, () -> b.registerBuffer("u", null));
        assertEquals("registerBuffer: buffer 'u' is null", none.getMessage());

        // a buffer registered as a parameter too was switched to requiring grad and trained (a review)
        Tensor state = Tensor.zeros(2);
        b.registerBuffer("state", state);
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> b.register("p", state));
        assertTrue(both.getMessage().contains("is a buffer of this module"), both.getMessage());
        Bad holder = new Bad(); // one module holds a buffer, another trains the same tensor ...
        Tensor kept = Tensor.ones(2);
        holder.registerBuffer("kept", kept);
        Bad trainsIt = new Bad();
        trainsIt.register("w", kept);
        Bad parent = new Bad();
        parent.register("holder", holder);
        parent.register("trains", trainsIt); // ... and the two meet in one model: refused where it is saved
        IllegalStateException joined = assertThrows(IllegalStateException.class, () -> parent.save(dir.resolve("x.npz")));
        assertTrue(joined.getMessage().contains("the buffer 'holder.kept' is also the parameter 'trains.w'"),
                joined.getMessage());
        Bad frozen = new Bad(); // a frozen parameter requires no grad, and was taken as a buffer too
        Tensor w = Tensor.zeros(2);
        frozen.register("w", w);
        w.requiresGrad(false);
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> frozen.registerBuffer("b", w));
        assertTrue(again.getMessage().contains("requires grad or is a parameter"), again.getMessage());
    }

    @Test
    void aSharedBufferIsNamedAsABuffer() throws IOException {
        class Twice extends Module {
            Twice(Center c) {
                register("a", c);
                register("b", c);
            }

            @Override
            public Tensor forward(Tensor x) {
                return x;
            }
        }
        Center shared = new Center(2);
        Map<String, Tensor> file = new LinkedHashMap<>();
        file.put("a.running_mean", Tensor.zeros(2));
        file.put("a.count", Tensor.scalar(0));
        file.put("b.running_mean", Tensor.ones(2));
        file.put("b.count", Tensor.scalar(0));
        Npz.save(dir.resolve("twice.npz"), file);
        IOException e = assertThrows(IOException.class, () -> new Twice(shared).load(dir.resolve("twice.npz")));
        assertTrue(e.getMessage().contains("'b.running_mean' and 'a.running_mean' are one shared buffer"), e.getMessage());
    }

    @Test
    void saveAndLoadCarryTheBuffers() throws IOException {
        Sequential trained = model();
        trainer(trained).fit(loader(), 2);
        Path file = dir.resolve("m.npz");
        trained.save(file);
        Sequential fresh = model();
        fresh.load(file);
        Center c = (Center) fresh.children().get("1");
        assertArrayEquals(((Center) trained.children().get("1")).runningMean.toArray(), c.runningMean.toArray(), 0);
        assertEquals(10, c.count.item(), 0);
        fresh.eval();
        trained.eval();
        assertArrayEquals(trained.forward(X).toArray(), fresh.forward(X).toArray(), 0, "the same model in evaluation");

        Map<String, Tensor> withoutBuffer = new LinkedHashMap<>(Npz.load(file));
        withoutBuffer.remove("1.count");
        Npz.save(dir.resolve("old.npz"), withoutBuffer);
        IOException missing = assertThrows(IOException.class, () -> model().load(dir.resolve("old.npz")));
        assertTrue(missing.getMessage().contains("has no buffer '1.count'"), missing.getMessage());
        Map<String, Tensor> wrongShape = new LinkedHashMap<>(Npz.load(file));
        wrongShape.put("1.running_mean", Tensor.zeros(5));
        Npz.save(dir.resolve("shape.npz"), wrongShape);
        IOException shape = assertThrows(IOException.class, () -> model().load(dir.resolve("shape.npz")));
        assertTrue(shape.getMessage().contains("buffer '1.running_mean' has shape (5) in the file but (4)"),
                shape.getMessage());
    }

    @Test
    void aResumedRunContinuesWithItsBuffersBitForBit() throws IOException {
        Sequential straight = model();
        trainer(straight).fit(loader(), 4);

        Sequential first = model();
        Trainer t = trainer(first);
        t.fit(loader(), 2);
        t.save(dir.resolve("run.npz"));
        assertTrue(Npz.load(dir.resolve("run.npz")).containsKey("model.1.running_mean"));
        Sequential resumed = model();
        trainer(resumed).resume(dir.resolve("run.npz")).fit(loader(), 2);

        straight.namedTensors().forEach((name, s) -> assertArrayEquals(s.toArray(),
                resumed.namedTensors().get(name).toArray(), 0, name));

        Map<String, Tensor> withoutBuffer = new LinkedHashMap<>(Npz.load(dir.resolve("run.npz")));
        withoutBuffer.remove("model.1.running_mean");
        Npz.save(dir.resolve("old.npz"), withoutBuffer);
        Sequential other = model();
        IOException e = assertThrows(IOException.class, () -> trainer(other).resume(dir.resolve("old.npz")));
        assertTrue(e.getMessage().contains("model.1.running_mean"), e.getMessage());
        assertEquals(0, ((Center) other.children().get("1")).count.item(), 0, "nothing changed");
    }
}
