package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.GradCheck;
import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NnTest {

    private static Tensor t(double... d) {
        return Tensor.of(d);
    }

    // ------------------------------------------------------------------ layers

    @Test
    void linearComputesXWPlusB() {
        Linear l = Linear.of(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3), t(0.5, -0.5, 1));
        Tensor y = l.forward(Tensor.of(new double[] {1, 1, 2, 0}, 2, 2));
        assertArrayEquals(new double[] {5.5, 6.5, 10, 2.5, 3.5, 7}, y.toArray());
        y.sum().backward();
        assertArrayEquals(new double[] {3, 3, 3, 1, 1, 1}, l.weight().grad().toArray());
        assertArrayEquals(new double[] {2, 2, 2}, l.bias().grad().toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("Linear(2 -> 3)") && e.getMessage().contains("(2, 3)"), e.getMessage());
    }

    @Test
    void initialisersAreSeededAndScaled() {
        Linear a = Linear.of(400, 300, Init.xavierUniform(), 1);
        Linear b = Linear.of(400, 300, Init.xavierUniform(), 1);
        assertArrayEquals(a.weight().toArray(), b.weight().toArray(), "same seed, same weights");
        assertNotEquals(a.weight().get(0, 0), Linear.of(400, 300, Init.xavierUniform(), 2).weight().get(0, 0));
        double bound = Math.sqrt(6.0 / 700);
        assertTrue(a.weight().abs().max().item() <= bound);
        assertEquals(bound * bound / 3, variance(a.weight()), 0.03 * bound * bound / 3);   // U(-a, a): a^2 / 3
        assertEquals(2.0 / 400, variance(Linear.of(400, 300, Init.heNormal(), 3).weight()), 0.03 * 2.0 / 400);
        assertEquals(2.0 / 700, variance(Linear.of(400, 300, Init.xavierNormal(), 4).weight()), 0.03 * 2.0 / 700);
        assertEquals(2.0 / 400, variance(Linear.of(400, 300, Init.heUniform(), 5).weight()), 0.03 * 2.0 / 400);
        assertArrayEquals(new double[300], a.bias().toArray());
    }

    private static double variance(Tensor w) {
        double mean = w.mean().item();
        return w.sub(mean).pow(2).mean().item();
    }

    @Test
    void sequentialNamesParametersLikePyTorch() {
        Sequential mlp = Sequential.mlp(7, Activation.relu(), 2, 16, 16, 1);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"),
                new ArrayList<>(mlp.namedParameters().keySet()));
        assertEquals(2 * 16 + 16 + 16 * 16 + 16 + 16 + 1, mlp.parameterCount());
        assertEquals(5, mlp.size());
        assertArrayEquals(new int[] {5, 1}, mlp.forward(Tensor.zeros(5, 2)).shape());
        for (Tensor p : mlp.parameters()) {
            assertTrue(p.requiresGrad());
        }
        mlp.forward(Tensor.ones(3, 2)).sum().backward();
        mlp.zeroGrad();
        for (Tensor p : mlp.parameters()) {
            assertEquals(null, p.grad());
        }
        // modules(): each once, each before its children in registration order, as PyTorch's
        Linear shared = Linear.of(2, 2, 1);
        Activation tanh = Activation.tanh();
        Sequential inner = Sequential.of(shared, tanh);
        Sequential twice = Sequential.of(inner, shared, Linear.of(2, 1, 2));
        List<Module> all = twice.modules();
        assertEquals(5, all.size());
        assertTrue(all.get(0) == twice && all.get(1) == inner && all.get(2) == shared && all.get(3) == tanh
                && all.get(4) == twice.get(2), all.toString());
        assertEquals(5, mlp.modules().size(), "the mlp, its three Linears and its one ReLU, placed twice");
    }

    @Test
    void activations() {
        Tensor x = t(-2, -0.5, 0.5, 2);
        assertArrayEquals(new double[] {-0.02, -0.005, 0.5, 2}, Activation.leakyRelu(0.01).forward(x).toArray(), 1e-16);
        // PyTorch: F.gelu(torch.tensor([1., -1.], dtype=torch.float64), approximate="tanh")
        assertArrayEquals(new double[] {0.8411919906082768, -0.15880800939172324},
                Activation.geluTanh().forward(t(1, -1)).toArray(), 1e-15);
        // exact GELU, x (1 + erf(x / sqrt 2)) / 2, from Python's math.erf: 1, -1, 0.5, -2, 3
        assertArrayEquals(new double[] {0.8413447460685429, -0.15865525393145707, 0.34573123063700656,
            -0.04550026389635842, 2.99595030590511}, Activation.gelu().forward(t(1, -1, 0.5, -2, 3)).toArray(), 1e-15);
        // its derivative Phi(x) + x phi(x) at 1: 0.8413447460685429 + 0.24197072451914337
        Tensor one = t(1).requiresGrad(true);
        Activation.gelu().forward(one).sum().backward();
        assertEquals(1.0833154705876864, one.grad().item(), 1e-15);
        assertArrayEquals(new double[] {0, 0, 0.5, 2}, Activation.relu().forward(x).toArray());
        for (Activation a : List.of(Activation.gelu(), Activation.geluTanh(), Activation.leakyRelu(0.1),
                Activation.tanh(), Activation.sigmoid())) {
            GradCheck.defaults().check(in -> a.forward(in.get(0)), x).orThrow();
        }
    }

    @Test
    void dropoutTrainsAndEvaluates() {
        Dropout d = Dropout.of(0.25, 11);
        Tensor x = Tensor.ones(10_000);
        Tensor y = d.forward(x);
        double kept = y.gt(0).mean().item();
        assertEquals(0.75, kept, 0.02);
        assertEquals(1 / 0.75, y.max().item(), 1e-15);
        assertEquals(1.0, y.mean().item(), 0.03, "inverted dropout keeps the expectation");
        d.eval();
        assertTrue(d.forward(x) == x);
        assertThrows(IllegalArgumentException.class, () -> Dropout.of(1, 0));
    }

    // ------------------------------------------------------------------ losses

    @Test
    void lossesMatchClosedForms() {
        Tensor p = t(0.5, 2, -1);
        Tensor y = t(1, 1, 1);
        assertEquals((0.25 + 1 + 4) / 3, Loss.mse(p, y).item(), 1e-15);
        assertEquals(0.25 + 1 + 4, Loss.mse(p, y, Reduction.SUM).item(), 1e-15);
        assertArrayEquals(new double[] {0.5, 1, 2}, Loss.mae(p, y, Reduction.NONE).toArray());
        assertEquals(3.5 / 3, Loss.mae(p, y).item(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> Loss.mse(p, t(1, 2)));

        Tensor prob = t(0.9, 0.2);
        Tensor target = t(1, 0);
        assertEquals(-(Math.log(0.9) + Math.log(0.8)) / 2, Loss.binaryCrossEntropy(prob, target).item(), 1e-15);
        assertEquals(100.0, Loss.binaryCrossEntropy(t(0), t(1)).item(), 0, "log clamped at -100, as PyTorch");

        Tensor z = t(2.5, -1, 1000, -1000);
        Tensor zy = t(1, 0, 0, 0);
        double[] expected = {Math.log1p(Math.exp(-2.5)), Math.log1p(Math.exp(-1)), 1000, 0};
        assertArrayEquals(expected, Loss.binaryCrossEntropyWithLogits(z, zy, Reduction.NONE).toArray(), 1e-15);

        Tensor logits = Tensor.of(new double[] {1, 2, 3, 1000, 0, -1000}, 2, 3);
        double row0 = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
        assertArrayEquals(new double[] {row0, 1000}, Loss.crossEntropy(logits, new int[] {2, 1}, Reduction.NONE).toArray(),
                1e-13);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Loss.crossEntropy(logits, new int[] {3, 0}));
        assertTrue(e.getMessage().contains("class index 3"), e.getMessage());

        assertArrayEquals(new double[] {0, 1.5, 0}, Loss.hinge(t(2, 0.5, -3), t(1, -1, -1), Reduction.NONE).toArray());
    }

    @Test
    void lossGradientsMatchFiniteDifferences() {
        Tensor target = t(1, 0, 1);
        GradCheck.defaults().check(x -> Loss.binaryCrossEntropyWithLogits(x.get(0), target), t(0.3, -2, 4)).orThrow();
        GradCheck.defaults().check(x -> Loss.binaryCrossEntropy(x.get(0), target), t(0.3, 0.6, 0.9)).orThrow();
        GradCheck.defaults().check(x -> Loss.crossEntropy(x.get(0), new int[] {1, 0}),
                Tensor.of(new double[] {0.1, 0.5, -1, 2, 0, 1}, 2, 3)).orThrow();
    }

    // ------------------------------------------------------------------ optimizers

    @Test
    void sgdFollowsPyTorchsUpdateRule() {
        double lr = 0.1;
        double mu = 0.9;
        double wd = 0.01;
        Tensor p = t(1.0).requiresGrad(true);
        SGD sgd = SGD.of(List.of(p), lr, mu, wd, true);
        double w = 1;
        double buf = 0;
        for (int step = 0; step < 3; step++) {
            sgd.zeroGrad();
            p.pow(2).sum().backward();                 // grad = 2p
            double g = 2 * w + wd * w;
            buf = step == 0 ? g : mu * buf + g;
            w -= lr * (g + mu * buf);                  // Nesterov
            sgd.step();
            assertEquals(w, p.item(), 1e-15, "step " + step);
        }
        Tensor q = t(1.0).requiresGrad(true);
        SGD plain = SGD.of(List.of(q), 0.5);
        q.mul(3).sum().backward();
        plain.step();
        assertEquals(-0.5, q.item(), 0);
        assertThrows(IllegalArgumentException.class, () -> SGD.of(List.of(q), 0.1, 0, 0, true));
    }

    @Test
    void adamAndAdamWFollowTheirUpdateRules() {
        for (boolean decoupled : new boolean[] {false, true}) {
            double lr = 0.01;
            double wd = 0.1;
            Tensor p = t(0.5).requiresGrad(true);
            Adam opt = decoupled ? Adam.adamW(List.of(p), lr, wd) : Adam.of(List.of(p), lr, 0.9, 0.999, 1e-8, wd);
            double w = 0.5;
            double m = 0;
            double v = 0;
            for (int t = 1; t <= 4; t++) {
                opt.zeroGrad();
                p.pow(3).sum().backward();             // grad = 3p^2
                double g = 3 * w * w;
                if (decoupled) {
                    w *= 1 - lr * wd;
                } else {
                    g += wd * w;
                }
                m = 0.9 * m + 0.1 * g;
                v = 0.999 * v + 0.001 * g * g;
                w -= lr * (m / (1 - Math.pow(0.9, t))) / (Math.sqrt(v / (1 - Math.pow(0.999, t))) + 1e-8);
                opt.step();
                assertEquals(w, p.item(), 1e-15, (decoupled ? "AdamW" : "Adam") + " step " + t);
            }
        }
    }

    @Test
    void schedulesAndClipping() {
        assertEquals(0.1 * 0.5 * 0.5, Schedule.step(0.1, 10, 0.5).rate(25), 1e-18);
        Schedule cos = Schedule.cosine(1, 0.1, 100);
        assertEquals(1, cos.rate(0), 0);
        assertEquals(0.55, cos.rate(50), 1e-15);
        assertEquals(0.1, cos.rate(100), 0);
        Schedule lin = Schedule.linear(1.0, 0.1, 100);
        assertEquals(1.0, lin.rate(0), 0);
        assertEquals(0.109, lin.rate(99), 1e-15);
        assertEquals(0.1, lin.rate(150), 0);

        Tensor a = t(3, 0).requiresGrad(true);
        Tensor b = t(4.0).requiresGrad(true);
        SGD opt = SGD.of(List.of(a, b), 1);
        a.mul(t(3, 0)).sum().add(b.mul(4).sum()).backward();  // grads (3, 0) and (4): norm 5
        assertEquals(5.0, opt.clipGradNorm(1), 1e-15);
        assertArrayEquals(new double[] {0.6, 0}, a.grad().toArray(), 1e-6);
        assertArrayEquals(new double[] {0.8}, b.grad().toArray(), 1e-6);
        assertEquals(1.0, opt.clipGradNorm(10), 1e-6, "below the limit: unchanged");
        assertArrayEquals(new double[] {0.8}, b.grad().toArray(), 1e-6);

        // at the limit PyTorch scales by max / (norm + 1e-6) too; a NaN norm scales nothing (a probe's cases)
        a.setGrad(t(3, 0));
        b.setGrad(t(4.0));
        assertEquals(5.0, opt.clipGradNorm(5), 0);
        assertArrayEquals(new double[] {3 * (5 / (5 + 1e-6)), 0}, a.grad().toArray(), 0);
        a.setGrad(t(Double.NaN, 0));
        assertTrue(Double.isNaN(opt.clipGradNorm(1)));
        assertEquals(4 * (5 / (5 + 1e-6)), b.grad().item(), 0, "unchanged");

        // finite gradients whose squares overflow: the norm was infinite and clipping zeroed them (a probe)
        a.setGrad(t(3e154, 0));
        b.setGrad(t(4e154));
        assertEquals(5e154, opt.clipGradNorm(1), 1e140);
        assertArrayEquals(new double[] {0.6, 0}, a.grad().toArray(), 1e-15);
        assertEquals(0.8, b.grad().item(), 1e-15);
        Tensor c = Tensor.zeros(io.github.jgrad.autodiff.DType.FLOAT32, 2).requiresGrad(true);
        c.setGrad(Tensor.of(new float[] {2e19f, 1f}, 2));
        assertEquals(2e19f, SGD.of(List.of(c), 1).clipGradNorm(1), 1e5, "float32 squares overflowed float32");
        assertArrayEquals(new double[] {1, 5e-20}, c.grad().toArray(), 1e-7);
        a.setGrad(t(3e-170, 0)); // squares below the smallest double: the norm came out 0
        b.setGrad(t(4e-170));
        assertEquals(5e-170, opt.clipGradNorm(1), 1e-184);
        assertArrayEquals(new double[] {3e-170, 0}, a.grad().toArray(), 0, "below the limit: unchanged");
    }

    @Test
    void adamWDecaysAsPyTorchMultiplies() { // p * (1 - lr wd) in p's dtype (a probe: p - lr wd p differs in the last bit)
        double lr = 1e-3;
        double wd = 1e-2;
        Tensor p64 = Tensor.randn(new SplittableRandom(3), 1000).requiresGrad(true);
        Tensor p32 = Tensor.randn(new SplittableRandom(3), 1000).to(io.github.jgrad.autodiff.DType.FLOAT32).requiresGrad(true);
        double[] w64 = p64.toArray();
        float[] w32 = p32.toFloatArray();
        for (Tensor p : List.of(p64, p32)) {
            Adam opt = Adam.adamW(List.of(p), lr, wd);
            p.setGrad(Tensor.zeros(1000).to(p.dtype()));   // a zero gradient: Adam's step is 0, only the decay moves p
            opt.step();
        }
        float f = (float) (1 - lr * wd);
        double[] got64 = p64.toArray();
        float[] got32 = p32.toFloatArray();
        for (int i = 0; i < 1000; i++) {
            assertEquals(w64[i] * (1 - lr * wd), got64[i], 0, "float64 element " + i);
            assertEquals(w32[i] * f, got32[i], 0, "float32 element " + i);
        }
    }

    // ------------------------------------------------------------------ batching and training

    @Test
    void dataLoaderCoversEveryExampleOncePerEpoch() {
        Tensor x = Tensor.arange(10).reshape(10, 1);
        Tensor y = Tensor.arange(10).mul(2);
        DataLoader loader = DataLoader.of(x, y, 4, true, 3);
        assertEquals(3, loader.batches());
        List<Double> first = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (DataLoader.Batch b : loader) {
            sizes.add(b.inputs().shape(0));
            for (int i = 0; i < b.inputs().shape(0); i++) {
                first.add(b.inputs().get(i, 0));
                assertEquals(2 * b.inputs().get(i, 0), b.targets().get(i), "inputs and targets stay paired");
            }
        }
        assertEquals(List.of(4, 4, 2), sizes);
        assertEquals(Set.of(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0), new HashSet<>(first));
        List<Double> second = new ArrayList<>();
        loader.forEach(b -> second.add(b.inputs().get(0, 0)));
        assertNotEquals(first.get(0) + "," + first.get(4), second.get(0) + "," + second.get(1), "epochs reshuffle");

        List<Double> again = new ArrayList<>();
        DataLoader.of(x, y, 4, true, 3).forEach(b -> {
            for (int i = 0; i < b.inputs().shape(0); i++) {
                again.add(b.inputs().get(i, 0));
            }
        });
        assertEquals(first, again, "same seed, same order");
        assertThrows(IllegalArgumentException.class, () -> DataLoader.of(x, Tensor.zeros(9), 4, false, 0));
    }

    @Test
    void trainerFitsALineAndReportsProgress() {
        Tensor x = Tensor.uniform(new SplittableRandom(1), -1, 1, 64, 1);
        Tensor y = x.mul(3).add(0.5);
        Linear model = Linear.of(1, 1, Init.zeros(), 0);
        SGD opt = SGD.of(model.parameters(), 0.3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long[] now = {0};
        Trainer trainer = Trainer.of(model, opt, (in, target) -> Loss.mse(model.forward(in), target))
                .progress(new PrintStream(bytes, true, StandardCharsets.UTF_8))
                .clock(() -> now[0] += 500_000_000L, false)
                .schedule(Schedule.constant(0.3));
        List<Double> losses = trainer.fit(DataLoader.of(x, y, 16, true, 1), 60);
        assertTrue(losses.get(59) < 1e-6 && losses.get(0) > 1, losses.toString());
        assertEquals(3.0, model.weight().item(), 1e-3);
        assertEquals(0.5, model.bias().item(), 1e-3);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("epoch 1/60"), "quiet for the first two seconds");
        assertTrue(out.contains("epoch 60/60 [==============================] loss "), out);
        assertTrue(out.contains("examples/s"), out);
        assertEquals("epoch 3/10 [=========>                    ] loss 0.1235  1,234 examples/s",
                ProgressBar.bar(3, 10, 0.12345, 1234.4));
        // a diverging loss in a few characters (it printed 300 digits), a tiny one not as 0.0000
        assertEquals("epoch 3/10 [=========>                    ] loss -1.0000e+300  1,234 examples/s",
                ProgressBar.bar(3, 10, -1e300, 1234.4));
        assertEquals("epoch 3/10 [=========>                    ] loss 1.2345e-05  1,234 examples/s",
                ProgressBar.bar(3, 10, 1.2345e-5, 1234.4));
        assertEquals("epoch 1/0 [==============================] loss NaN  1 examples/s",
                ProgressBar.bar(1, 0, Double.NaN, 1)); // was "/ by zero"
        trainer.schedule(Schedule.step(0.3, 10, 0.5)).fit(DataLoader.of(x, y, 16, true, 1), 25);
        assertEquals(85, trainer.epochs(), "fit counts on");
        assertEquals(0.3 * Math.pow(0.5, 8), opt.learningRate(), 1e-15, "the schedule's rate for the last epoch (84)");
        out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("epoch 66/85 ["), "a second fit prints at its own pace, not the first's: " + out);
        trainer.listen((t, e) -> {
            if (e.number() == 92) {
                t.stop();
            }
        }).fit(DataLoader.of(x, y, 16, true, 1), 20);                    // stops at an epoch not printed yet
        assertTrue(bytes.toString(StandardCharsets.UTF_8).endsWith("examples/s\n")
                && bytes.toString(StandardCharsets.UTF_8).contains("epoch 92/105 ["), "the epoch it stopped at is shown");
        // so does a bar added as a listener (it was never told the fit ended)
        ByteArrayOutputStream listened = new ByteArrayOutputStream();
        long[] later = {0};
        Trainer other = Trainer.of(model, opt, (in, target) -> Loss.mse(model.forward(in), target)).progress(null)
                .clock(() -> later[0] += 500_000_000L, false)
                .listen(Listener.progressBar(new PrintStream(listened, true, StandardCharsets.UTF_8)))
                .listen((t, e) -> {
                    if (e.number() == 7) {
                        t.stop();
                    }
                });
        other.fit(DataLoader.of(x, y, 16, true, 1), 20);
        assertTrue(listened.toString(StandardCharsets.UTF_8).contains("epoch 7/20 ["), listened.toString(StandardCharsets.UTF_8));
        assertThrows(IllegalArgumentException.class,
                () -> trainer.epoch(DataLoader.of(Tensor.zeros(0, 1), Tensor.zeros(0, 1), 4, false, 0), 0));
    }

    @Test
    void edgeCasesFoundInReview() {
        // BCE at probabilities of exactly 0 and 1: finite loss and finite gradient
        Tensor z = Tensor.of(new double[] {40, 0.3}).requiresGrad(true);
        Loss.binaryCrossEntropy(z.sigmoid(), t(1, 0)).backward();
        for (double g : z.grad().toArray()) {
            assertTrue(Double.isFinite(g), Arrays.toString(z.grad().toArray()));
        }
        assertEquals(0.5 * (1 / (1 + Math.exp(-0.3))), z.grad().get(1), 1e-12);

        // log(1 - p) through log1p: small probabilities keep every digit (log(1 - 1e-20) is 0)
        assertArrayEquals(new double[] {1e-20, -Math.log1p(-1e-10), 100},
                Loss.binaryCrossEntropy(t(1e-20, 1e-10, 1), t(0, 0, 0), Reduction.NONE).toArray(), 0);
        for (int k = 5; k <= 300; k += 5) {
            double p = Math.pow(10, -k);
            assertEquals(-Math.log1p(-p), Loss.binaryCrossEntropy(t(p), t(0)).item(), 0, "p = 1e-" + k + ", target 0");
        }
        Tensor small = Tensor.of(new double[] {1e-10}).requiresGrad(true);
        Loss.binaryCrossEntropy(small, t(0), Reduction.SUM).backward();
        assertEquals(1 / (1 - 1e-10), small.grad().item(), 1e-15, "d/dp -log(1 - p) = 1 / (1 - p)");

        // at p = e^-100 exactly the clamp passes the full gradient -1/p (no tie is split)
        Tensor floorP = Tensor.scalar(Math.exp(-100)).requiresGrad(true);
        Loss.binaryCrossEntropy(floorP, Tensor.scalar(1), Reduction.SUM).backward();
        assertEquals(-Math.exp(100), floorP.grad().item(), Math.exp(100) * 1e-12);

        // BCE with logits keeps every digit of a confident, correct prediction
        assertArrayEquals(new double[] {Math.log1p(Math.exp(-30)), Math.log1p(Math.exp(-20)), 30 + Math.log1p(Math.exp(-30))},
                Loss.binaryCrossEntropyWithLogits(t(30, -20, -30), t(1, 0, 1), Reduction.NONE).toArray(), 1e-28);

        // BCE with logits: gradient sigmoid(z) - y, also at z = 0
        Tensor zero = Tensor.zeros(2).requiresGrad(true);
        Loss.binaryCrossEntropyWithLogits(zero, t(1, 0), Reduction.SUM).backward();
        assertArrayEquals(new double[] {-0.5, 0.5}, zero.grad().toArray(), 1e-15);
        GradCheck.defaults().check(x -> Loss.binaryCrossEntropyWithLogits(x.get(0), t(1, 0, 1)), t(0, 1e-9, -36))
                .orThrow();

        // Adam's bias correction counts each parameter's own steps
        Tensor a = t(1.0).requiresGrad(true);
        Tensor late = t(1.0).requiresGrad(true);
        Adam adam = Adam.of(List.of(a, late), 0.1);
        for (int step = 0; step < 5; step++) {
            adam.zeroGrad();
            Tensor loss = a.sum();
            if (step == 4) {
                loss = loss.add(late.sum());
            }
            loss.backward();
            adam.step();
        }
        assertEquals(1.0 - 0.1, late.item(), 1e-9, "first update of a parameter moves it by lr, as PyTorch");

        // a module used twice: its parameters count once and are updated once per step
        Linear shared = Linear.of(Tensor.of(new double[] {1}, 1, 1), t(0));
        Sequential twice = Sequential.of(shared, shared);
        assertEquals(List.of("0.weight", "0.bias"), new ArrayList<>(twice.namedParameters().keySet()));
        assertEquals(2, twice.parameterCount());
        SGD sgd = SGD.of(twice.parameters(), 0.1);
        twice.forward(Tensor.ones(1, 1)).sum().backward();           // y = w(w x + b) + b: dy/dw = 2w x + b = 2
        sgd.step();
        assertEquals(1 - 0.1 * 2, shared.weight().item(), 1e-15);

        // leaky ReLU's derivative at 0 is its slope, as in PyTorch
        Tensor at0 = Tensor.zeros(1).requiresGrad(true);
        Activation.leakyRelu(0.1).forward(at0).sum().backward();
        assertEquals(0.1, at0.grad().item(), 0);
    }

    @Test
    void modulesPrintAsPyTorchPrintsThem() {
        Sequential m = Sequential.of(Linear.of(2, 16, 1), Activation.relu(), Dropout.of(0.5, 1),
                Sequential.mlp(3, Activation.tanh(), 16, 1));
        assertEquals(String.join("\n",
                "Sequential(",
                "  (0): Linear(in=2, out=16)",
                "  (1): ReLU",
                "  (2): Dropout(p=0.5)",
                "  (3): Sequential(",
                "    (0): Linear(in=16, out=1)",
                "  )",
                ")"), m.toString());
        // two levels down, and a module printing itself on two lines, indented with its level
        Module twoLines = new Module() {
            @Override
            public Tensor forward(Tensor x) {
                return x;
            }

            @Override
            public String toString() {
                return "Mine(\n  a=1)";
            }
        };
        assertEquals(String.join("\n",
                "Sequential(",
                "  (0): Sequential(",
                "    (0): Sequential(",
                "      (0): ReLU",
                "      (1): Mine(",
                "        a=1)",
                "    )",
                "  )",
                ")"), Sequential.of(Sequential.of(Sequential.of(Activation.relu(), twoLines))).toString());
    }

    @Test
    void aDeeplyNestedModelNeedsNoThreadStack() throws Exception { // a probe: StackOverflowError at depth 9,076
        Throwable[] failed = new Throwable[1];
        Thread small = new Thread(null, () -> { // 256 KiB: the recursion overflowed here at about a thousand
            try {
                Module m = Linear.of(1, 1, 1);
                for (int d = 0; d < 3_000; d++) {
                    m = Sequential.of(m);
                }
                assertEquals(2, m.namedParameters().size());
                assertEquals("0.".repeat(3_000) + "weight", m.namedParameters().keySet().iterator().next());
                String[] lines = m.toString().split("\n", -1);
                assertEquals(6_001, lines.length, "a line per Sequential, one for the Linear, one per closing parenthesis");
                assertEquals("  ".repeat(3_000) + "(0): Linear(in=1, out=1)", lines[3_000]);
                assertEquals("  ".repeat(2_999) + ")", lines[3_001]);
                assertEquals(")", lines[6_000]);
                assertEquals(3_001, m.modules().size());
                m.zeroGrad();
                m.eval();
                assertFalse(m.modules().get(3_000).isTraining());
            } catch (Throwable e) {
                failed[0] = e;
            }
        }, "small stack", 256 * 1024);
        small.start();
        small.join();
        if (failed[0] != null) {
            throw new AssertionError(failed[0]);
        }
    }

    @Test
    void parametersAreLabelledWithTheirDottedPathsForExplainReports() {
        Sequential inner = Sequential.mlp(3, Activation.tanh(), 2, 2);
        Sequential model = Sequential.of(Linear.of(2, 2, 1), inner);
        Tensor mine = Tensor.of(new double[] {1, 2}).label("mine");
        Linear custom = Linear.of(Tensor.of(new double[] {1, 0, 0, 1}, 2, 2), mine);   // copies: a new bias
        assertEquals(List.of("0.weight", "0.bias", "1.0.weight", "1.0.bias"),
                model.parameters().stream().map(Tensor::label).toList());
        assertEquals("bias", custom.bias().label());
        Tensor loss = model.forward(Tensor.of(new double[] {0.5, -0.5}, 1, 2)).sum();
        String text = io.github.jgrad.autodiff.Explain.backward(loss).toText();
        assertTrue(text.contains("1.0.weight = parameter"), text);
        assertTrue(text.contains("/d0.bias"), text);
    }

    /** A module with a tied weight, registered after the layer that holds it (a hostile probe's case). */
    static final class Tied extends Module {
        final Linear encoder = register("enc", Linear.of(2, 2, 1));
        final Tensor scale = register("scale", Tensor.ones(2));
        final Linear decoder = register("dec", Linear.of(2, 2, 2));
        final Tensor tied = register("tied", encoder.weight());
        final Tensor named = register("named", Tensor.ones(1).label("user's"));

        @Override
        public Tensor forward(Tensor x) {
            return decoder.forward(encoder.forward(x).mul(scale));
        }
    }

    @Test
    void aTiedParameterKeepsTheLabelOfItsFirstRegistration() { // as the Javadoc of register says
        // relabelling ties by their name in namedParameters took three attempts, each wrong for another
        // pattern or quadratic in the model's size (reviews); the first registration's label is kept instead
        Tied tied = new Tied();
        assertEquals(List.of("scale", "tied", "named", "enc.bias", "dec.weight", "dec.bias"),
                List.copyOf(tied.namedParameters().keySet()));
        assertEquals("enc.weight", tied.encoder.weight().label(), "listed as 'tied', labelled as first registered");
        Sequential outer = Sequential.of(tied, Dropout.of(0.2, 1));
        for (java.util.Map.Entry<String, Tensor> e : outer.namedParameters().entrySet()) {
            String want = e.getKey().equals("0.named") ? "user's" : e.getKey().equals("0.tied") ? "enc.weight" : e.getKey();
            assertEquals(want, e.getValue().label());
        }
        TiedModel model = new TiedModel();                           // a sibling built with the weight
        assertEquals(List.of("enc.weight", "enc.bias"), List.copyOf(model.namedParameters().keySet()));
        assertEquals("enc.weight", model.encoder.weight().label());
        Sequential.of(model);
        assertEquals("0.enc.weight", model.encoder.weight().label());
    }

    /** A head that holds a weight given to it. */
    static final class TiedHead extends Module {
        final Tensor weight;

        TiedHead(Tensor weight) {
            this.weight = register("weight", weight);
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.matmul(weight.mT());
        }
    }

    /** An encoder and a head tied to its weight, registered after it. */
    static final class TiedModel extends Module {
        final Linear encoder = register("enc", Linear.of(2, 2, 1));
        final TiedHead head = register("head", new TiedHead(encoder.weight()));

        @Override
        public Tensor forward(Tensor x) {
            return head.forward(encoder.forward(x));
        }
    }
}
