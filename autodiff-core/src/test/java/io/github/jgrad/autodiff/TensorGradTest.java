package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Gradients of every tensor op against finite differences and closed forms; autograd semantics. */
class TensorGradTest {
    private static final GradCheck STRICT = GradCheck.of(1e-6, 1e-7, 1e-6);

    private static void check(Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        STRICT.check(f, inputs).orThrow();
    }

    private static Tensor r(long seed, int... shape) {
        return Tensor.uniform(new SplittableRandom(seed), -1, 1, shape);
    }

    private static Tensor positive(long seed, int... shape) {
        return Tensor.uniform(new SplittableRandom(seed), 0.5, 2, shape);
    }

    @Test
    void elementwiseWithBroadcasting() {
        check(x -> x.get(0).add(x.get(1)), r(1, 2, 3), r(2, 3));
        check(x -> x.get(0).sub(x.get(1)), r(1, 2, 1), r(2, 1, 3));
        check(x -> x.get(0).mul(x.get(1)), r(1, 4, 1, 3), r(2, 2, 1));
        check(x -> x.get(0).div(x.get(1)), r(1, 2, 3), positive(2, 3));
        check(x -> x.get(0).pow(x.get(1)), positive(1, 2, 3), r(2, 2, 1));
        check(x -> x.get(0).pow(3), r(1, 5));
        check(x -> x.get(0).maximum(x.get(1)), r(1, 3, 3), r(2, 3));
        check(x -> x.get(0).minimum(x.get(1)), r(1, 3), r(2, 2, 3));
        check(x -> Tensor.where(x.get(0).gt(0), x.get(0).mul(x.get(1)), x.get(1).exp()), r(1, 2, 3), r(2, 3));
        check(x -> x.get(0).clamp(-0.5, 0.5), r(3, 10));
    }

    @Test
    void log1pIsAccurateAndDifferentiable() {
        assertEquals(1e-20, Tensor.scalar(1e-20).log1p().item(), 0);
        check(x -> x.get(0).log1p(), positive(1, 4));
    }

    @Test
    void unaryOps() {
        check(x -> x.get(0).neg(), r(1, 4));
        check(x -> x.get(0).exp(), r(1, 4));
        check(x -> x.get(0).log(), positive(1, 4));
        check(x -> x.get(0).sqrt(), positive(1, 4));
        check(x -> x.get(0).tanh(), r(1, 4));
        check(x -> x.get(0).sigmoid(), r(1, 4));
        check(x -> x.get(0).relu(), r(1, 4));
        check(x -> x.get(0).sin(), r(1, 4));
        check(x -> x.get(0).cos(), r(1, 4));
        check(x -> x.get(0).abs(), r(1, 4));
    }

    @Test
    void reductionsAndSoftmax() {
        check(x -> x.get(0).sum(), r(1, 2, 3));
        check(x -> x.get(0).sum(new int[] {0, 2}, true), r(1, 2, 3, 4));
        check(x -> x.get(0).sum(new int[] {0, 2}, false), r(1, 2, 3, 4));
        check(x -> x.get(0).mean(1, false), r(1, 2, 3, 4));
        check(x -> x.get(0).max(new int[] {1, 2}, false), r(1, 2, 3, 4));
        check(x -> x.get(0).min(0, true), r(1, 3, 2));
        check(x -> x.get(0).softmax(1), r(1, 3, 4));
        check(x -> x.get(0).logSoftmax(0), r(1, 3, 4));
        check(x -> x.get(0).logSumExp(-1, false), r(1, 2, 5));
    }

    @Test
    void maxSharesTiesEvenly() {
        Tensor x = Tensor.of(new double[] {1, 3, 3, 0}).requiresGrad(true);
        x.max().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5, 0}, x.grad().toArray());
        // a row holding NaN: its maximum is NaN and every element of it gets NaN (no element equals the
        // maximum: 0 / 0), as torch.amax; the other row is untouched
        Tensor m = Tensor.of(new double[] {1, Double.NaN, 2, 3}, 2, 2).requiresGrad(true);
        Tensor rows = m.max(1);
        assertTrue(Double.isNaN(rows.get(0)));
        rows.sum().backward();
        assertArrayEquals(new double[] {Double.NaN, Double.NaN, 0, 1}, m.grad().toArray());
    }

    @Test
    void matmulInAllItsForms() {
        check(x -> x.get(0).matmul(x.get(1)), r(1, 3, 4), r(2, 4, 2));
        check(x -> x.get(0).matmul(x.get(1)), r(1, 4), r(2, 4));
        check(x -> x.get(0).matmul(x.get(1)), r(1, 4), r(2, 4, 3));
        check(x -> x.get(0).matmul(x.get(1)), r(1, 2, 4), r(2, 4));
        check(x -> x.get(0).matmul(x.get(1)), r(1, 2, 1, 2, 3), r(2, 3, 3, 2));
        check(x -> x.get(0).matmul(x.get(1)), r(1, 5, 2, 3), r(2, 3, 4));
    }

    @Test
    void fusedMatmulAddEqualsMatmulThenAdd() {
        check(x -> x.get(0).matmulAdd(x.get(1), x.get(2)), r(1, 3, 4), r(2, 4, 2), r(3, 2));
        check(x -> x.get(0).matmulAdd(x.get(1), x.get(2)), r(1, 3, 4), r(2, 4, 2), r(3, 3, 1));
        Tensor a = Tensor.randn(new SplittableRandom(4), 70, 50);
        Tensor w = Tensor.randn(new SplittableRandom(5), 50, 40);
        Tensor b = Tensor.randn(new SplittableRandom(6), 40);
        assertArrayEquals(a.matmul(w).add(b).toArray(), a.matmulAdd(w, b).toArray(), 1e-12); // native path
        Tensor second = Tensor.grad(Tensor.grad(a.requiresGrad(true).matmulAdd(w, b).pow(2).sum(), a, true).sum(),
                a, false);
        Tensor reference = Tensor.grad(Tensor.grad(a.matmul(w).add(b).pow(2).sum(), a, true).sum(), a, false);
        assertArrayEquals(reference.toArray(), second.toArray(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> a.matmulAdd(w, Tensor.zeros(3)));
    }

    @Test
    void layoutOps() {
        check(x -> x.get(0).reshape(3, 2).mul(Tensor.arange(6).reshape(3, 2)), r(1, 2, 3));
        check(x -> x.get(0).permute(2, 0, 1), r(1, 2, 3, 4));
        check(x -> x.get(0).transpose(0, 2), r(1, 2, 3, 4));
        check(x -> x.get(0).slice(1, 1, 4, 2), r(1, 2, 5));
        check(x -> x.get(0).indexSelect(0, 2, 0, 2), r(1, 3, 2));
        check(x -> x.get(0).gather(1, Tensor.of(new double[] {0, 0, 2, 1}, 2, 2)), r(1, 2, 3));
        check(x -> Tensor.concat(0, x.get(0), x.get(1), x.get(0)), r(1, 2, 3), r(2, 1, 3));
        check(x -> Tensor.stack(1, x.get(0), x.get(1)), r(1, 2, 3), r(2, 2, 3));
        check(x -> x.get(0).broadcastTo(2, 3, 4), r(1, 3, 1));
        check(x -> x.get(0).unsqueeze(0).squeeze(0), r(1, 3));
    }

    @Test
    void gradientsAccumulateAndZero() {
        Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        w.mul(3).sum().backward();
        w.mul(w).sum().backward();
        assertArrayEquals(new double[] {3 + 2, 3 + 4}, w.grad().toArray());
        w.zeroGrad();
        assertNull(w.grad());
        Tensor c = Tensor.ones(2); // requires no grad: gets none
        w.mul(c).sum().backward();
        assertNull(c.grad());
        assertArrayEquals(new double[] {1, 1}, w.grad().toArray());
    }

    @Test
    void graphIsFreedUnlessRetained() {
        Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor loss = w.exp().sum();
        loss.backward(true);
        loss.backward();
        assertArrayEquals(new double[] {2 * Math.exp(1), 2 * Math.exp(2)}, w.grad().toArray(), 1e-15);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("freed") && e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void backwardNeedsAScalarOrAGradient() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor y = w.mul(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("(3)"), e.getMessage());
        y.backward(Tensor.of(new double[] {1, 10, 100}), false, false);
        assertArrayEquals(new double[] {2, 20, 200}, w.grad().toArray());
        assertThrows(IllegalStateException.class, () -> Tensor.ones(2).sum().backward());
    }

    @Test
    void secondDerivativesAreOnTheTape() {
        Tensor x = Tensor.of(new double[] {0.5, -1.5}).requiresGrad(true);
        Tensor y = x.pow(3).sum();
        Tensor dy = Tensor.grad(y, x, true);                     // 3x^2
        assertArrayEquals(new double[] {0.75, 6.75}, dy.toArray(), 1e-15);
        Tensor d2 = Tensor.grad(dy.sum(), x, false);              // 6x
        assertArrayEquals(new double[] {3, -9}, d2.toArray(), 1e-14);
        assertNull(x.grad(), "grad() leaves .grad alone");

        Tensor z = Tensor.scalar(0.3).requiresGrad(true);
        Tensor t = z.tanh();
        Tensor d1 = Tensor.grad(t, z, true);
        Tensor d2t = Tensor.grad(d1, z, true);
        Tensor d3t = Tensor.grad(d2t, z, false);
        double th = Math.tanh(0.3);
        assertEquals(1 - th * th, d1.item(), 1e-15);
        assertEquals(-2 * th * (1 - th * th), d2t.item(), 1e-15);
        assertEquals(-2 * (1 - th * th) * (1 - 3 * th * th), d3t.item(), 1e-14);

        // a constant gradient (a linear function's) requires no grad: refused, naming grad and the causes
        Tensor constant = Tensor.grad(x.mul(3).sum(), x, true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.grad(constant.sum(), x, false));
        assertTrue(e.getMessage().startsWith("grad: the output (sum, shape ()) does not require grad")
                && e.getMessage().contains("without createGraph") && e.getMessage().contains("linear"), e.getMessage());
    }

    /** Hessian-vector products H v (double backward) against finite differences of gradients. */
    @Test
    void hessianVectorProductsMatchFiniteDifferences() {
        Tensor w = Tensor.randn(new SplittableRandom(5), 3, 4);
        Tensor x0 = Tensor.randn(new SplittableRandom(6), 4);
        Tensor v = Tensor.randn(new SplittableRandom(7), 4);
        Function<Tensor, Tensor> f = x -> w.matmul(x).tanh().pow(2).sum().add(x.sin().mul(x).sum());

        Tensor x = Tensor.of(x0.toArray()).requiresGrad(true);
        Tensor g = Tensor.grad(f.apply(x), x, true);
        Tensor hv = Tensor.grad(g.mul(v).sum(), x, false);

        double h = 1e-5;
        double[] plus = gradientAt(f, x0.add(v.mul(h)));
        double[] minus = gradientAt(f, x0.sub(v.mul(h)));
        for (int i = 0; i < 4; i++) {
            double numeric = (plus[i] - minus[i]) / (2 * h);
            assertEquals(numeric, hv.toArray()[i], 1e-8 * Math.max(1, Math.abs(numeric)), "Hv[" + i + "]");
        }
    }

    private static double[] gradientAt(Function<Tensor, Tensor> f, Tensor at) {
        Tensor x = Tensor.of(at.toArray()).requiresGrad(true);
        f.apply(x).backward();
        return x.grad().toArray();
    }

    @Test
    void createGraphKeepsTheGraphItsGradientsNeed() {
        Tensor x = Tensor.of(new double[] {0.5, 2}).requiresGrad(true);
        x.pow(3).sum().backward(Tensor.scalar(1), false, true);   // retainGraph false, createGraph true
        Tensor first = x.grad();                                    // 3x^2, on the tape
        x.zeroGrad();
        first.sum().backward();                                     // through the kept graph: 6x
        assertArrayEquals(new double[] {3, 12}, x.grad().toArray(), 1e-14);
    }

    @Test
    void gradientPenaltyTrainsThroughTheGradient() {
        // d/dw of |d(w.x)/dx|^2 = d/dw |w|^2 = 2w
        Tensor w = Tensor.of(new double[] {0.5, -2, 1}).requiresGrad(true);
        Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor gx = Tensor.grad(w.mul(x).sum(), x, true);
        gx.pow(2).sum().backward();
        assertArrayEquals(new double[] {1, -4, 2}, w.grad().toArray(), 1e-15);
    }

    @Test
    void anomalyModeNamesTheOp() {
        Tensor x = Tensor.of(new double[] {1, -1});
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            ArithmeticException e = assertThrows(ArithmeticException.class, x::log);
            assertTrue(e.getMessage().contains("log produced NaN") && e.getMessage().contains("flat index 1"),
                    e.getMessage());
            Tensor z = Tensor.zeros(2).requiresGrad(true);
            Tensor y = z.sqrt().sum();                   // forward finite, sqrt'(0) infinite
            ArithmeticException b = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(b.getMessage().contains("backward of sqrt"), b.getMessage());
            assertTrue(b.getCause() != null && b.getCause().getMessage().contains("sqrt created here"));
            ArithmeticException explained = assertThrows(ArithmeticException.class, () -> Explain.backward(y)); // found by a probe
            assertTrue(explained.getMessage().startsWith("backward of sqrt: "), explained.getMessage());
            assertTrue(explained.getCause() != null && explained.getCause().getMessage().contains("sqrt created here"));
        }
        assertTrue(Double.isNaN(x.log().get(1)), "off outside the scope");
    }

    @Test
    void edgeCasesFoundInReview() {
        // an exception inside backward leaves no stale gradient for a later pass
        Tensor x = Tensor.scalar(0).requiresGrad(true);
        Tensor v = Tensor.scalar(1).requiresGrad(true);
        Tensor w = Tensor.scalar(2).requiresGrad(true);
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            Tensor y = x.add(1).log().mul(w).add(v.mul(1));
            assertThrows(ArithmeticException.class, () -> x.log().mul(w).add(v).backward());
            assertEquals(1.0, y.item());
        }
        List<Tensor> g = Tensor.grad(List.of(x.mul(2)), List.of(x, v), false);
        assertEquals(2.0, g.get(0).item());
        assertEquals(0.0, g.get(1).item(), "v is not reached: zeros, not a leftover");

        // a throw while accumulating into a leaf leaves nothing stale either
        Tensor big = Tensor.scalar(1).requiresGrad(true);
        Tensor other = Tensor.scalar(1).requiresGrad(true);
        big.setGrad(Tensor.scalar(1.7e308));
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            Tensor y2 = big.mul(1.7e308).add(other);
            assertThrows(ArithmeticException.class, y2::backward);
        }
        Tensor u = Tensor.scalar(2).requiresGrad(true);
        assertEquals(0.0, Tensor.grad(List.of(u.mul(3)), List.of(u, other), false).get(1).item(), 0);

        // d(a/b)/db = -(a/b)/b stays finite where b^2 would underflow
        Tensor b = Tensor.scalar(1e-200).requiresGrad(true);
        Tensor.scalar(1e-200).div(b).backward();
        assertEquals(-1e200, b.grad().item(), 1e186);

        // pow's backward computes nothing non-finite where its derivative is defined
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            Tensor base = Tensor.zeros(2).requiresGrad(true);
            Tensor exponent = Tensor.of(new double[] {0, 2}).requiresGrad(true);
            base.pow(exponent).sum().backward();
            assertArrayEquals(new double[] {0, 0}, base.grad().toArray());
            assertArrayEquals(new double[] {0, 0}, exponent.grad().toArray());
        }

        // log-sum-exp of -infinities is -infinity (PyTorch), and softmax of finite logits is unchanged
        Tensor minusInf = Tensor.full(new int[] {3}, Double.NEGATIVE_INFINITY);
        assertEquals(Double.NEGATIVE_INFINITY, minusInf.logSumExp(0, false).item());
        assertEquals(Double.POSITIVE_INFINITY, Tensor.of(new double[] {1, Double.POSITIVE_INFINITY})
                .logSumExp(0, false).item());

        // freed results cannot be updated in place (the data may be a parameter's, through reshape)
        Tensor p = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor view = p.reshape(4);
        view.sum().backward();
        assertThrows(IllegalStateException.class, () -> view.addInPlace(10, Tensor.ones(4)));
        assertThrows(IllegalStateException.class, () -> view.copyFrom(Tensor.ones(4)));
        assertArrayEquals(new double[] {1, 2, 3, 4}, p.toArray());
    }

    @Test
    void gradCheckChecksSecondDerivatives() {
        // f(x) = sum(d/dx sum(tanh(x)^3)): GradCheck differentiates a function that itself calls grad
        check(in -> Tensor.grad(in.get(0).tanh().pow(3).sum(), in.get(0), true).sum(), r(1, 5));
        check(in -> Tensor.grad(in.get(0).matmul(in.get(1)).softmax(1).pow(2).sum(), in.get(1), true),
                r(1, 2, 3), r(2, 3, 4));
    }

    @Test
    void parametersUpdateInPlaceOnly() {
        Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        w.addInPlace(-0.5, Tensor.of(new double[] {2, 2}));
        assertArrayEquals(new double[] {0, 1}, w.toArray());
        assertThrows(IllegalStateException.class, () -> w.mul(2).addInPlace(1, w));
        assertThrows(IllegalArgumentException.class, () -> w.addInPlace(1, Tensor.ones(3)));
        assertThrows(IllegalStateException.class, () -> w.mul(2).requiresGrad(true));
    }

    @Test
    void cloneCopiesOnTheTapeAndDetachShares() {
        for (DType dtype : DType.values()) {
            Tensor w = Tensor.of(new double[] {1, 2}).to(dtype).requiresGrad(true);
            Tensor copy = w.clone();
            Tensor snapshot = w.detach().clone();
            Tensor view = w.detach();
            assertEquals(dtype, copy.dtype());
            assertTrue(copy.requiresGrad() && !snapshot.requiresGrad());
            copy.mul(Tensor.of(new double[] {3, 4}).to(dtype)).sum().backward();
            assertArrayEquals(new double[] {3, 4}, w.grad().toArray(), "the gradient flows back unchanged");
            w.addInPlace(1, Tensor.ones(2));
            assertArrayEquals(new double[] {1, 2}, snapshot.toArray(), "a copy keeps its values");
            assertArrayEquals(new double[] {2, 3}, view.toArray(), "detach shares memory");
        }
    }

    @Test
    void absGradientIsSignumBitForBitAtEveryKindOfPoint() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(21);
        double[] x = new double[70_000]; // above the size that splits over two threads
        double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE,
            -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1, -1};
        for (int i = 0; i < x.length; i++) {
            x[i] = i < special.length ? special[i] : i % 3 == 0 ? Double.longBitsToDouble(r.nextLong()) : r.nextDouble(-1, 1);
        }
        for (DType dtype : DType.values()) {
            Tensor t = Tensor.of(x).to(dtype).requiresGrad(true);
            t.abs().sum().backward(); // a gradient of ones: abs's backward is exactly sign(x)
            double[] g = t.grad().toArray();
            double[] values = t.toArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Double.doubleToLongBits(Math.signum(values[i])), Double.doubleToLongBits(g[i]),
                        dtype + ": sign(" + values[i] + ")");
            }
        }
    }

    @Test
    void anomalyModeNamesABackwardWhoseGradientsOverflowWhenSummed() { // a probe's: it blamed a forward add
        try (Anomaly.Scope s = Anomaly.detect()) {
            Tensor x = Tensor.of(new double[] {1e-300}).requiresGrad(true);
            Tensor y = x.mul(1);
            Tensor z = y.mul(1e308).add(y.mul(1e308)).sum(); // 2e8; 1e308 to y from each product: Infinity summed
            NonFiniteException e = assertThrows(NonFiniteException.class, z::backward);
            assertTrue(e.getMessage().startsWith("backward of mul: the gradient for input 0 (shape (1), computed by mul) went"
                    + " non-finite added to the gradient from its other uses"), e.getMessage());
        }
    }
}
