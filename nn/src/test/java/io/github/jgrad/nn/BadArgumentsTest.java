package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Arguments that would give a silently wrong number get an error naming the call and the value. */
class BadArgumentsTest {
    private static void rejects(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + e.getMessage() + "' should mention '" + f + "'");
        }
    }

    @Test
    void binaryCrossEntropyRejectsProbabilitiesOutsideTheUnitInterval() {
        Tensor y = Tensor.of(new double[] {1, 0});
        // was -0.2938933324510595: a negative cross-entropy, no error (PyTorch raises)
        rejects(() -> Loss.binaryCrossEntropy(Tensor.of(new double[] {1.5, -0.2}), y),
                "binaryCrossEntropy", "[0, 1]", "1.5", "index 0", "(2)");
        rejects(() -> Loss.binaryCrossEntropy(Tensor.of(new double[] {0.5, -1e-300}), y), "-1.0E-300", "index 1");
        rejects(() -> Loss.binaryCrossEntropy(Tensor.of(new double[] {Double.NaN, 0.5}), y), "NaN");
        // the ends of the interval are probabilities: log(0) is clamped at -100 as in PyTorch
        assertEquals(50, Loss.binaryCrossEntropy(Tensor.of(new double[] {0, 0}), y).item(), 1e-12);
        assertEquals(0, Loss.binaryCrossEntropy(Tensor.of(new double[] {1, 0}), y).item(), 0);
    }

    @Test
    void aBatchLargerThanTheDataIsOneBatch() {
        for (int batch : new int[] {10, 11, Integer.MAX_VALUE - 9, Integer.MAX_VALUE}) {
            DataLoader loader = DataLoader.of(Tensor.zeros(10, 2), Tensor.zeros(10), batch, true, 3);
            assertEquals(1, loader.batches(), "batch size " + batch);   // was 0 once size + batch overflowed
            int seen = 0;
            for (DataLoader.Batch b : loader) {
                assertEquals(10, b.inputs().shape(0));
                seen++;
            }
            assertEquals(1, seen);
        }
        assertEquals(4, DataLoader.of(Tensor.zeros(10, 2), Tensor.zeros(10), 3, false, 0).batches());
    }

    @Test
    void theEpochCounterStopsAtItsLastValueWithAnError() {
        // epoch() overflowed to Integer.MIN_VALUE once epoch Integer.MAX_VALUE had been iterated
        DataLoader loader = DataLoader.of(Tensor.arange(4).reshape(4, 1), Tensor.zeros(4), 2, true, 3);
        rejects(() -> loader.setEpoch(Integer.MAX_VALUE), "setEpoch", "2147483647");
        rejects(() -> loader.setEpoch(-1), "setEpoch", "-1");
        loader.setEpoch(Integer.MAX_VALUE - 1);
        assertEquals(2, loader.iterator().next().inputs().shape(0));
        assertEquals(Integer.MAX_VALUE, loader.epoch());
        IllegalStateException e = assertThrows(IllegalStateException.class, loader::iterator);
        assertTrue(e.getMessage().contains("MAX_VALUE"), e.getMessage());
        assertEquals(Integer.MAX_VALUE, loader.epoch());
        loader.setEpoch(0);
        assertEquals(2, loader.iterator().next().inputs().shape(0));
    }

    @Test
    void layersAndModulesNameWhatIsWrong() { // an API review's cases: each was another message or an NPE
        // an Init giving PyTorch's (out, in) layout built a layer of the wrong shape, silently
        Init transposed = (seed, fanIn, fanOut, shape) -> Tensor.zeros(fanOut, fanIn);
        rejects(() -> Linear.of(2, 3, transposed, 1), "Linear(in=2, out=3): init returned a weight of shape (3, 2)");
        rejects(() -> Linear.of(2, 3, (seed, fanIn, fanOut, shape) -> Tensor.zeros(6), 1), "shape (6)");
        Tensor computed = Tensor.ones(2).requiresGrad(true).mul(2);
        Module m = new Module() {
            {
                rejects(() -> register("w", computed), "register: parameter 'w' is a mul result, not a leaf");
                NullPointerException noName = assertThrows(NullPointerException.class,
                        () -> register((String) null, Tensor.ones(1)));
                assertEquals("register: name is null", noName.getMessage());
                NullPointerException noTensor = assertThrows(NullPointerException.class,
                        () -> register("b", (Tensor) null));
                assertEquals("register: parameter 'b' is null", noTensor.getMessage());
            }

            @Override
            public Tensor forward(Tensor x) {
                return x;
            }
        };
        assertEquals(0, m.parameters().size());
        NullPointerException e = assertThrows(NullPointerException.class, () -> Sequential.mlp(1, null, 2, 3));
        assertEquals("mlp: activation is null", e.getMessage());
        // a loss function returning a non-scalar: named as the trainer's, not as backward's
        Linear layer = Linear.of(1, 2, 1);
        Trainer t = Trainer.of(layer, SGD.of(layer.parameters(), 0.1), (x, y) -> layer.forward(x)).progress(null);
        IllegalStateException notOne = assertThrows(IllegalStateException.class,
                () -> t.fit(DataLoader.of(Tensor.zeros(4, 1), Tensor.zeros(4), 2, false, 0), 1));
        assertTrue(notOne.getMessage().startsWith("Trainer: the loss function returned a tensor of shape (2, 2)"),
                notOne.getMessage());
    }

    @Test
    void schedulesCheckTheirRatesWhenMade() { // they failed epochs later, in SGD, naming no schedule
        rejects(() -> Schedule.step(0.1, 2, Double.NaN), "step schedule: gamma must be finite and >= 0, got NaN");
        rejects(() -> Schedule.step(-0.1, 2, 0.5), "step schedule: base");
        rejects(() -> Schedule.constant(Double.NaN), "constant schedule: rate");
        rejects(() -> Schedule.cosine(0.1, Double.POSITIVE_INFINITY, 5), "cosine schedule: min");
        rejects(() -> Schedule.linear(0.1, -1, 5), "linear schedule: end");
        assertEquals(0.025, Schedule.step(0.1, 2, 0.5).rate(5), 0);
    }

    @Test
    void trainerChecksItsArgumentsBeforeChangingAnything() {
        Linear m = Linear.of(1, 1, 1);
        SGD sgd = SGD.of(m.parameters(), 0.1);
        Trainer t = Trainer.of(m, sgd, (x, y) -> Loss.mse(m.forward(x), y)).progress(null);
        rejects(() -> t.clipGradNorm(-1), "clipGradNorm", "-1.0");
        rejects(() -> t.clipGradNorm(Double.NaN), "clipGradNorm", "NaN");
        t.clipGradNorm(0);                                                  // 0 is "off"
        DataLoader data = DataLoader.of(Tensor.zeros(4, 1), Tensor.zeros(4, 1), 2, false, 0);
        rejects(() -> t.fit(data, -1), "epochs", "-1");
        assertEquals(List.of(), t.fit(data, 0));
        DataLoader empty = DataLoader.of(Tensor.zeros(0, 1), Tensor.zeros(0, 1), 2, false, 0);
        t.schedule(k -> 5.0);
        rejects(() -> t.epoch(empty, 0), "no examples");
        assertEquals(0.1, sgd.learningRate(), 0);                            // the failed epoch left it alone
    }

    @Test
    void initialisersRejectFansThatGiveInfiniteOrNaNWeights() {
        // heUniform with fanIn 0 gave [NaN, NaN]; with -1 an error about uniform's bounds
        rejects(() -> Init.heUniform().create(1, 0, 3, 2), "heUniform", "fanIn=0");
        rejects(() -> Init.heNormal().create(1, 0, 3, 2), "heNormal", "fanIn=0");
        rejects(() -> Init.heUniform().create(1, -1, 3, 2), "heUniform", "fanIn=-1");
        rejects(() -> Init.xavierUniform().create(1, 0, 0, 2), "xavierUniform", "fanOut=0");
        rejects(() -> Init.xavierNormal().create(1, 2, -3, 2), "xavierNormal", "fanOut=-3");
        int big = Integer.MAX_VALUE; // fanIn + fanOut overflows an int: the bound was capped at 2^31 - 1, sqrt 2 too wide
        double bound = Math.sqrt(6.0 / (2.0 * big));
        double[] wide = Init.xavierUniform().create(0, big, big, 10_000).toArray();
        double largest = 0;
        for (double v : wide) {
            largest = Math.max(largest, Math.abs(v));
        }
        assertTrue(largest <= bound && largest > 0.99 * bound, largest + " against the bound " + bound);
        // one fan of 0 is fine for Xavier: the divisor is fanIn + fanOut
        double a = Math.sqrt(6.0 / 4);
        for (double w : Init.xavierUniform().create(1, 0, 4, 100).toArray()) {
            assertTrue(-a <= w && w < a);
        }
    }

    @Test
    void schedulesRejectNegativeSteps() {
        rejects(() -> Schedule.constant(1).rate(-1), "constant", "-1");
        rejects(() -> Schedule.step(1, 3, 0.5).rate(-1), "step", "-1");          // was 2.0, above the base rate
        rejects(() -> Schedule.cosine(1, 0.1, 10).rate(-5), "cosine", "-5");     // was 0.55
        rejects(() -> Schedule.linear(1, 0, 4).rate(-8), "linear", "-8");        // was 3.0
        assertEquals(0.25, Schedule.step(1, 3, 0.5).rate(6), 0);
        assertEquals(0.1, Schedule.cosine(1, 0.1, 10).rate(10), 0);
        assertEquals(0.5, Schedule.linear(1, 0, 4).rate(2), 0);
    }

    @Test
    void hingeTakesLabelsOfMinusOneAndOneOnly() {
        Tensor s = Tensor.of(new double[] {0.3, -2}, 2);
        // 0/1 labels were accepted: class 0 cost a constant 1 and learned nothing
        rejects(() -> Loss.hinge(s, Tensor.of(new double[] {0, 1}, 2)), "hinge", "-1 or +1", "0.0", "index 0");
        assertEquals((0.7 + 0) / 2, Loss.hinge(s, Tensor.of(new double[] {1, -1}, 2)).item(), 1e-15);
    }

    @Test
    void optimizersRefuseTensorsThatAreNotLeaves() {
        // a view of a parameter requires grad but never receives one: it was silently never updated
        Tensor w = Tensor.randn(new SplittableRandom(1), 3).requiresGrad(true);
        rejects(() -> SGD.of(List.of(w.reshape(3)), 0.1), "SGD", "reshape", "(3)", "leaf");
        rejects(() -> Adam.of(List.of(w.mul(2)), 0.1), "Adam", "mul");
    }

    @Test
    void layersNameThemselvesAndTheirArguments() {
        rejects(() -> Linear.of(65536, 65536, 1), "Linear(in=65536, out=65536): a weight of 4294967296 elements");
        NullPointerException e = assertThrows(NullPointerException.class, () -> Sequential.of(Linear.of(2, 2, 1), null));
        assertEquals("Sequential.of: module 1 of 2 is null", e.getMessage());
    }

    @Test
    void sequentialGetNamesTheIndexAndTheSize() {
        Sequential m = Sequential.mlp(1, Activation.relu(), 2, 3, 1);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> m.get(5));
        assertTrue(e.getMessage().contains("index 5") && e.getMessage().contains("3 modules"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> m.get(-1));
    }

    @Test
    void modelsAndDropoutLayersWithAdjacentSeedsShareNothing() {
        // layer i was seeded with seed + i: mlp(0)'s second layer was mlp(1)'s first
        Sequential m0 = Sequential.mlp(0, Activation.relu(), 8, 8, 8, 1);
        Sequential m1 = Sequential.mlp(1, Activation.relu(), 8, 8, 8, 1);
        assertFalse(java.util.Arrays.equals(((Linear) m0.get(2)).weight().toArray(),
                ((Linear) m1.get(0)).weight().toArray()));
        // and dropout(10)'s second mask was dropout(11)'s first
        Dropout d10 = Dropout.of(0.5, 10);
        Dropout d11 = Dropout.of(0.5, 11);
        Tensor x = Tensor.ones(64);
        d10.forward(x);
        assertFalse(java.util.Arrays.equals(d10.forward(x).toArray(), d11.forward(x).toArray()));
        // the same seed still gives the same model and masks
        assertTrue(java.util.Arrays.equals(((Linear) m0.get(0)).weight().toArray(),
                ((Linear) Sequential.mlp(0, Activation.relu(), 8, 8, 8, 1).get(0)).weight().toArray()));
        assertTrue(java.util.Arrays.equals(Dropout.of(0.5, 10).forward(x).toArray(),
                Dropout.of(0.5, 10).forward(x).toArray()));
    }

    @Test
    void aRandomStreamGivesCopiesOfAModelTheirOwnMasks() {
        Tensor x = Tensor.ones(256);
        // stream 0 is what a single machine draws (and what checkpoints resumed before streams drew)
        double[] plain = Dropout.of(0.5, 10).forward(x).toArray();
        Sequential zero = Sequential.of(Dropout.of(0.5, 10));
        zero.randomStream(0);
        assertTrue(java.util.Arrays.equals(plain, zero.forward(x).toArray()));
        // a stream reaches a nested layer, and the same stream draws the same masks
        Sequential s1 = Sequential.of(Sequential.of(Dropout.of(0.5, 10)));
        Sequential s1again = Sequential.of(Sequential.of(Dropout.of(0.5, 10)));
        s1.randomStream(1);
        s1again.randomStream(1);
        double[] m1 = s1.forward(x).toArray();
        assertTrue(java.util.Arrays.equals(m1, s1again.forward(x).toArray()));
        Sequential s2 = Sequential.of(Sequential.of(Dropout.of(0.5, 10)));
        s2.randomStream(2);
        double[] m2 = s2.forward(x).toArray();
        assertFalse(java.util.Arrays.equals(m1, plain), "stream 1 differs from a single machine's");
        assertFalse(java.util.Arrays.equals(m1, m2), "streams 1 and 2 differ");
        // and a stream's later masks are not another stream's first ones
        Dropout d1 = Dropout.of(0.5, 10);
        Sequential.of(d1).randomStream(1);
        d1.forward(x);
        assertFalse(java.util.Arrays.equals(d1.forward(x).toArray(), m2));
        int kept = 0;
        for (double v : m1) {
            kept += v == 2 ? 1 : 0;                       // kept entries are scaled by 1 / (1 - p)
        }
        assertTrue(kept > 96 && kept < 160, "about half kept: " + kept);
    }

    /** A module whose sub-module can be chosen after construction, to build a cycle. */
    private static final class Box extends Module {
        void put(String name, Module child) {
            register(name, child);
        }

        @Override
        public Tensor forward(Tensor x) {
            return x;
        }
    }

    @Test
    void modulesCannotContainThemselves() {
        // was: namedParameters() recursed until StackOverflowError
        Box a = new Box();
        rejects(() -> a.put("self", a), "'self'", "is or contains this Box", "tree");
        Box b = new Box();
        a.put("b", b);
        rejects(() -> b.put("a", a), "'a'", "is or contains");
        Linear shared = Linear.of(1, 1, 0);
        a.put("x", shared);
        b.put("y", shared);                                    // sharing without a cycle is fine
        assertEquals(2, a.namedParameters().size());
    }

    @Test
    void lossMessagesBlameTheTargetsAndSayWhatFits() {
        Tensor logits = Tensor.zeros(4, 3);
        // was: "logits of shape [4, 3] need to be (n, classes) with n = 3 class indices"
        rejects(() -> Loss.crossEntropy(logits, Tensor.of(new double[] {0, 1, 2}, 3)),
                "3 targets for 4 rows of logits (4, 3)", "one class index per row");
        rejects(() -> Loss.crossEntropy(logits, Tensor.zeros(1, 4)),
                "targets of shape (1, 4)", "class indices of shape (4) or (4, 1)", "probabilities of shape (4, 3)",
                "targets.reshape(-1)");
        // one logit per row: softmax over one class is 1, so the loss was 0 and nothing trained (an API review)
        Tensor single = Tensor.of(new double[] {-3, 2, 5, -1}, 4, 1);
        rejects(() -> Loss.crossEntropy(single, Tensor.of(new double[] {1, 0, 0, 1}, 4, 1)),
                "crossEntropy: logits of shape (4, 1) hold one class", "use binaryCrossEntropyWithLogits");
        rejects(() -> Loss.crossEntropy(single, new int[] {0, 0, 0, 0}), "logits of shape (4, 1) hold one class");
        // targets outside [0, 1] gave a wrong (even negative) loss silently
        rejects(() -> Loss.binaryCrossEntropy(Tensor.of(new double[] {0.5}, 1), Tensor.of(new double[] {2}, 1)),
                "binaryCrossEntropy: targets must be in [0, 1], got 2.0");
        rejects(() -> Loss.binaryCrossEntropyWithLogits(Tensor.of(new double[] {3}, 1), Tensor.of(new double[] {2}, 1)),
                "binaryCrossEntropyWithLogits: targets must be in [0, 1], got 2.0");
        rejects(() -> Adam.of(Linear.of(1, 1, 0).parameters(), -0.1), "Adam: learning rate", "-0.1");
        // infinite settings gave NaN parameters or none moving, silently; a null parameter an unnamed NPE (a probe)
        List<Tensor> ps = Linear.of(1, 1, 0).parameters();
        double inf = Double.POSITIVE_INFINITY;
        rejects(() -> SGD.of(ps, 0.1, inf, 0, false), "SGD: need momentum and weightDecay finite", "Infinity");
        rejects(() -> SGD.of(ps, 0.1, 0.9, inf, false), "SGD", "Infinity");
        rejects(() -> Adam.of(ps, 0.1, 0.9, 0.999, inf, 0), "Adam: need", "eps finite", "Infinity");
        rejects(() -> Adam.of(ps, 0.1, 0.9, 0.999, 1e-8, inf), "Adam", "weightDecay finite");
        rejects(() -> Adam.adamW(ps, 0.1, inf), "Adam", "weightDecay finite");
        List<Tensor> withNull = new java.util.ArrayList<>(ps);
        withNull.add(1, null);
        rejects(() -> SGD.of(withNull, 0.1), "SGD: parameter 1 is null");
    }

    @Test
    void aParameterFrozenBetweenBackwardAndStepStopsTheStepBeforeAnyUpdate() { // a hostile probe
        // was: p1 updated, p2 decayed with its moments advanced, then a core error naming no optimizer, p3 not
        Tensor p1 = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        Tensor p2 = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        Tensor p3 = Tensor.of(new double[] {1}, 1).requiresGrad(true);
        Adam adam = Adam.adamW(List.of(p1, p2, p3), 0.1, 0.5);
        p1.add(p2).add(p3).sum().backward();
        p2.requiresGrad(false);
        IllegalStateException e = assertThrows(IllegalStateException.class, adam::step);
        assertEquals("Adam.step: parameter 1 of shape (1) was frozen (requiresGrad(false)) after this optimizer was"
                + " made but still has a gradient; call zeroGrad() to leave it as it is, or unfreeze it (nothing was"
                + " updated)", e.getMessage());
        assertEquals(0, adam.steps());
        for (Tensor p : List.of(p1, p2, p3)) {
            assertEquals(1.0, p.item(), "nothing was updated");
        }
        adam.zeroGrad();                                            // the frozen one then stays as it is
        p1.add(p2).add(p3).sum().backward();
        adam.step();
        assertEquals(1.0, p2.item());
        assertTrue(p1.item() < 1 && p3.item() < 1);
    }

    @Test
    void accuracyMatchesRowsWhateverTheLabelsShape() {
        Tensor logits = Tensor.of(new double[] {0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4}, 4, 2);   // predicts 1, 0, 1, 0
        Tensor column = Tensor.of(new double[] {1, 0, 0, 0}, 4, 1);
        assertEquals(0.75, Metrics.accuracy(logits, column), 0);        // argmax(1).eq(column) gave 0.3125
        assertEquals(0.75, Metrics.accuracy(logits, column.reshape(4)), 0);
        Tensor onehot = Tensor.of(new double[] {0, 1, 1, 0, 1, 0, 1, 0}, 4, 2);
        assertEquals(0.75, Metrics.accuracy(logits, onehot), 0);
        rejects(() -> Metrics.accuracy(logits, Tensor.zeros(3)), "accuracy", "(3)", "(4) or (4, 1)");
    }

    @Test
    void aSingleLogitIsABinaryClassifiersAccuracy() { // a probe: targets of the logits' shape read as probabilities gave 1.0
        Tensor logits = Tensor.of(new double[] {0.9, -2, 0.3, 0.1, Double.NaN}, 5, 1);  // predicts 1, 0, 1, 1, 0
        Tensor labels = Tensor.of(new double[] {1, 0, 0, 1, 1}, 5, 1);
        assertEquals(0.6, Metrics.accuracy(logits, labels), 0);
        assertEquals(0.6, Metrics.accuracy(logits, labels.reshape(5)), 0);
        assertArrayEquals(new int[] {1, 1}, Metrics.confusionMatrix(logits, labels)[0]);   // label 0: predicted 0 and 1
        assertArrayEquals(new int[] {1, 2}, Metrics.confusionMatrix(logits, labels)[1]);
        rejects(() -> Metrics.accuracy(logits, Tensor.full(new int[] {5, 1}, 0.5)), "accuracy: a single logit per row", "row 0 has 0.5");
        rejects(() -> Metrics.accuracy(logits, Tensor.zeros(5, 2)), "accuracy: a single logit per row (5, 1)", "not (5, 2)");
    }
}
