package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The gradient of an input that was broadcast is the output gradient summed back to the input's
 * shape. Every case checks the gradient's shape and its numbers: hand-computed arrays for the small
 * cases, and {@link #reduceToInput} (an index loop over the output, independent of the library's
 * reduction) with integer seeds for all of them, so a sum over the wrong axis cannot pass by having
 * the same count. Integers and dyadic fractions keep every expected number exact.
 */
final class BroadcastGradTest {

    /** Integers 1, 2, ... in the given shape, requiring grad. */
    private static Tensor counting(int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = i + 1;
        }
        return (shape.length == 0 ? Tensor.scalar(1) : Tensor.of(d, shape)).requiresGrad(true);
    }

    /** Integer seed gradient of the given shape, varying along every axis: 1, 2, 3, 1, 2, 3, ... */
    private static Tensor seed(int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = (i * 7) % 5 + 1;
        }
        return shape.length == 0 ? Tensor.scalar(3) : Tensor.of(d, shape);
    }

    /** The multi-index of flat position {@code flat} in {@code shape}, row-major. */
    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    /** The flat position in {@code in} that output index {@code outIdx} reads under broadcasting. */
    static int source(int[] outIdx, int[] in) {
        int lead = outIdx.length - in.length;
        int flat = 0;
        for (int d = 0; d < in.length; d++) {
            flat = flat * in[d] + (in[d] == 1 ? 0 : outIdx[lead + d]);
        }
        return flat;
    }

    /** Which factor of d out / d input is applied per output element: 1 (add), -1 (sub), the other operand (mul). */
    enum Local { ONE, MINUS_ONE, OTHER }

    /**
     * sum over the output elements o that read input element i of seed[o] * local(o): the gradient
     * an input of shape {@code in} must receive, computed by visiting every output element.
     */
    static double[] reduceToInput(Tensor seed, int[] in, Local local, Tensor other) {
        int[] so = seed.shape();
        double[] g = seed.toArray();
        double[] otherData = other == null ? null : other.toArray();
        int[] otherShape = other == null ? null : other.shape();
        int n = 1;
        for (int d : in) {
            n *= d;
        }
        double[] out = new double[n];
        for (int o = 0; o < g.length; o++) {
            int[] idx = unravel(o, so);
            double factor = local == Local.ONE ? 1 : local == Local.MINUS_ONE ? -1 : otherData[source(idx, otherShape)];
            out[source(idx, in)] += g[o] * factor;
        }
        return out;
    }

    /**
     * For add, sub and mul of inputs of shapes {@code sa} and {@code sb}, in both operand orders:
     * gradient shapes equal the input shapes and the values equal {@link #reduceToInput}, seeded with
     * ones (backward()) and with a varying seed.
     */
    private static void checkAddSubMul(int[] sa, int[] sb, int[] expectedOut) {
        for (boolean swap : new boolean[] {false, true}) {
            checkOne(sa, sb, expectedOut, swap, Tensor::add, Local.ONE, Local.ONE);
            checkOne(sa, sb, expectedOut, swap, Tensor::sub, Local.ONE, Local.MINUS_ONE);
            checkOne(sa, sb, expectedOut, swap, Tensor::mul, Local.OTHER, Local.OTHER);
        }
    }

    private static void checkOne(int[] sa, int[] sb, int[] expectedOut, boolean swap, BinaryOperator<Tensor> op,
                                 Local da, Local db) {
        for (boolean varyingSeed : new boolean[] {false, true}) {
            Tensor a = counting(sa);
            Tensor b = counting(sb).mul(-0.5).detach().requiresGrad(true); // -0.5, -1, ...: differs from a
            Tensor out = swap ? op.apply(b, a) : op.apply(a, b);
            Tensor first = swap ? b : a;
            Tensor second = swap ? a : b;
            String what = (swap ? "swapped " : "") + (varyingSeed ? "varying seed " : "ones ")
                    + java.util.Arrays.toString(sa) + " with " + java.util.Arrays.toString(sb);
            assertArrayEquals(expectedOut, out.shape(), what);
            Tensor g = varyingSeed ? seed(expectedOut) : Tensor.ones(expectedOut);
            out.backward(g, false, false);
            assertArrayEquals(first.shape(), first.grad().shape(), what + ": shape of the first operand's gradient");
            assertArrayEquals(second.shape(), second.grad().shape(), what + ": shape of the second's");
            assertArrayEquals(reduceToInput(g, first.shape(), da, second), first.grad().toArray(), 0, what);
            assertArrayEquals(reduceToInput(g, second.shape(), db, first), second.grad().toArray(), 0, what);
        }
    }

    // ------------------------------------------------------------------ hand-computed cases

    @Test
    void sizeOneAxisInTheMiddle() {
        // a (2,1,3) broadcast along axis 1 against b (2,4,3)
        Tensor a = counting(2, 1, 3);
        Tensor b = Tensor.arange(24).reshape(2, 4, 3).detach().requiresGrad(true); // b[i,j,k] = 12i + 3j + k
        a.add(b).sum().backward();
        assertArrayEquals(new int[] {2, 1, 3}, a.grad().shape());
        assertArrayEquals(new double[] {4, 4, 4, 4, 4, 4}, a.grad().toArray(), 0, "each a read by 4 outputs");
        assertArrayEquals(Tensor.ones(2, 4, 3).toArray(), b.grad().toArray(), 0);

        a.zeroGrad();
        b.zeroGrad();
        a.mul(b).sum().backward();
        // d/da[i,0,k] = sum_j b[i,j,k] = 48i + 18 + 4k
        assertArrayEquals(new double[] {18, 22, 26, 66, 70, 74}, a.grad().toArray(), 0);
        assertArrayEquals(new int[] {2, 1, 3}, a.grad().shape());
        // d/db[i,j,k] = a[i,0,k]
        double[] expectedB = new double[24];
        for (int i = 0; i < 24; i++) {
            expectedB[i] = (i / 12) * 3 + i % 3 + 1;
        }
        assertArrayEquals(expectedB, b.grad().toArray(), 0);
        checkAddSubMul(new int[] {2, 1, 3}, new int[] {2, 4, 3}, new int[] {2, 4, 3});
    }

    @Test
    void leadingAxisAdded() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        b.mul(a).sum().backward();
        assertArrayEquals(new int[] {3}, a.grad().shape());
        assertArrayEquals(new double[] {5, 7, 9}, a.grad().toArray(), 0, "column sums of b");
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3}, b.grad().toArray(), 0);
        a.zeroGrad();
        a.add(b).sum().backward();
        assertArrayEquals(new double[] {2, 2, 2}, a.grad().toArray(), 0);
        checkAddSubMul(new int[] {3}, new int[] {2, 3}, new int[] {2, 3});
    }

    @Test
    void leadingAxisAddedAndSizeOneAxisExpanded() {
        // (4,1) against (2,4,5): a leading axis of 2 appears and the trailing 1 becomes 5
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 4, 1).requiresGrad(true);
        Tensor b = Tensor.arange(40).reshape(2, 4, 5).detach().requiresGrad(true); // 20i + 5j + k
        a.add(b).sum().backward();
        assertArrayEquals(new int[] {4, 1}, a.grad().shape());
        assertArrayEquals(new double[] {10, 10, 10, 10}, a.grad().toArray(), 0, "2 * 5 outputs each");
        a.zeroGrad();
        a.mul(b).sum().backward();
        // sum over i in {0,1}, k in 0..4 of 20i + 5j + k = 100 + 50j + 20
        assertArrayEquals(new double[] {120, 170, 220, 270}, a.grad().toArray(), 0);
        checkAddSubMul(new int[] {4, 1}, new int[] {2, 4, 5}, new int[] {2, 4, 5});
    }

    @Test
    void bothSidesExpand() {
        // (3,1) with (1,4) -> (3,4): a is repeated along columns, b along rows
        Tensor a = Tensor.of(new double[] {1, 2, 3}, 3, 1).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 10, 100, 1000}, 1, 4).requiresGrad(true);
        a.add(b).sum().backward();
        assertArrayEquals(new double[] {4, 4, 4}, a.grad().toArray(), 0);
        assertArrayEquals(new double[] {3, 3, 3, 3}, b.grad().toArray(), 0);
        assertArrayEquals(new int[] {1, 4}, b.grad().shape());
        a.zeroGrad();
        b.zeroGrad();
        a.mul(b).sum().backward();
        assertArrayEquals(new double[] {1111, 1111, 1111}, a.grad().toArray(), 0);
        assertArrayEquals(new double[] {6, 6, 6, 6}, b.grad().toArray(), 0);
        a.zeroGrad();
        b.zeroGrad();
        a.sub(b).sum().backward();
        assertArrayEquals(new double[] {4, 4, 4}, a.grad().toArray(), 0);
        assertArrayEquals(new double[] {-3, -3, -3, -3}, b.grad().toArray(), 0);
        checkAddSubMul(new int[] {3, 1}, new int[] {1, 4}, new int[] {3, 4});
    }

    @Test
    void zeroDimensionalScalarAgainstRankFour() {
        Tensor s = Tensor.scalar(2).requiresGrad(true);
        Tensor b = Tensor.arange(120).reshape(2, 3, 4, 5).detach().requiresGrad(true);
        s.add(b).sum().backward();
        assertEquals(0, s.grad().dim(), "the gradient of a 0-d input is 0-d");
        assertEquals(120.0, s.grad().item(), 0);
        s.zeroGrad();
        b.zeroGrad();
        b.mul(s).sum().backward();
        assertEquals(0, s.grad().dim());
        assertEquals(119 * 120 / 2.0, s.grad().item(), 0, "sum of 0..119");
        assertArrayEquals(Tensor.full(new int[] {2, 3, 4, 5}, 2).toArray(), b.grad().toArray(), 0);
        checkAddSubMul(new int[0], new int[] {2, 3, 4, 5}, new int[] {2, 3, 4, 5});
        checkAddSubMul(new int[0], new int[] {1, 1, 1, 1}, new int[] {1, 1, 1, 1});
    }

    @Test
    void oneElementRankFourAgainstRankFour() {
        Tensor s = Tensor.of(new double[] {2}, 1, 1, 1, 1).requiresGrad(true);
        Tensor b = Tensor.arange(120).reshape(2, 3, 4, 5).detach().requiresGrad(true);
        s.add(b).sum().backward();
        assertArrayEquals(new int[] {1, 1, 1, 1}, s.grad().shape());
        assertEquals(120.0, s.grad().item(), 0);
        s.zeroGrad();
        s.mul(b).sum().backward();
        assertEquals(7140.0, s.grad().item(), 0);
        checkAddSubMul(new int[] {1, 1, 1, 1}, new int[] {2, 3, 4, 5}, new int[] {2, 3, 4, 5});
        checkAddSubMul(new int[] {1, 1, 1, 1}, new int[] {5}, new int[] {1, 1, 1, 5});
        checkAddSubMul(new int[] {1, 3, 1, 5}, new int[] {2, 1, 4, 1}, new int[] {2, 3, 4, 5});
    }

    // ------------------------------------------------------------------ the other binary ops

    @Test
    void divBroadcastsTheDenominator() {
        // a (2,3) / b (3): d/da = 1/b, d/db[k] = -sum_i a[i,k] / b[k]^2
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 2, 4}).requiresGrad(true);
        a.div(b).sum().backward();
        assertArrayEquals(new double[] {1, 0.5, 0.25, 1, 0.5, 0.25}, a.grad().toArray(), 0);
        assertArrayEquals(new double[] {-5, -7 / 4.0, -9 / 16.0}, b.grad().toArray(), 0);
        // and the numerator broadcast: a (3) / b (2,3): d/da[k] = sum_i 1/b[i,k]
        Tensor n = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor d = Tensor.of(new double[] {1, 2, 4, 8, 0.5, 0.25}, 2, 3).requiresGrad(true);
        n.div(d).sum().backward();
        assertArrayEquals(new double[] {1.125, 2.5, 4.25}, n.grad().toArray(), 0);
        // d/dd[i,k] = -n[k] / d[i,k]^2
        assertArrayEquals(new double[] {-1, -0.5, -3 / 16.0, -1 / 64.0, -8, -48}, d.grad().toArray(), 0);
    }

    @Test
    void powBroadcastsTheBase() {
        // base (3) against exponents (2,3): d/da[k] = sum_i b[i,k] a[k]^(b[i,k]-1); d/db = a^b ln a
        Tensor a = Tensor.of(new double[] {2, 4, 0.5}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 2, 3, 0, 1, 2}, 2, 3).requiresGrad(true);
        a.pow(b).sum().backward();
        assertArrayEquals(new double[] {1 + 0, 2 * 4 + 1, 3 * 0.25 + 2 * 0.5}, a.grad().toArray(), 0);
        double[] ab = {2, 16, 0.125, 1, 4, 0.25};
        double[] lnA = {Math.log(2), Math.log(4), Math.log(0.5)};
        double[] gb = b.grad().toArray();
        for (int i = 0; i < 6; i++) {
            double expected = ab[i] * lnA[i % 3];
            assertEquals(expected, gb[i], 1e-15 * Math.abs(expected), "d/db at " + i);
        }
    }

    @Test
    void maximumAndMinimumSendEachOutputToTheLargerOrSmallerSide() {
        // a (3,1) = 0, 2, 4 against b (1,4) = 1, 3, 5, -1: no ties
        Tensor a = Tensor.of(new double[] {0, 2, 4}, 3, 1).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 3, 5, -1}, 1, 4).requiresGrad(true);
        a.maximum(b).sum().backward();
        assertArrayEquals(new double[] {1, 2, 3}, a.grad().toArray(), 0, "how many b each a exceeds");
        assertArrayEquals(new double[] {1, 2, 3, 0}, b.grad().toArray(), 0, "how many a each b exceeds");
        a.zeroGrad();
        b.zeroGrad();
        a.minimum(b).sum().backward();
        assertArrayEquals(new double[] {3, 2, 1}, a.grad().toArray(), 0);
        assertArrayEquals(new double[] {2, 1, 0, 3}, b.grad().toArray(), 0);
        assertArrayEquals(new int[] {1, 4}, b.grad().shape());

        // ties split the gradient, also when one side is broadcast: a (3,1) = 1, 2, 3 against b (2) = 2, 2
        Tensor c = Tensor.of(new double[] {1, 2, 3}, 3, 1).requiresGrad(true);
        Tensor d = Tensor.of(new double[] {2, 2}).requiresGrad(true);
        c.maximum(d).sum().backward();
        assertArrayEquals(new double[] {0, 1, 2}, c.grad().toArray(), 0);
        assertArrayEquals(new double[] {1.5, 1.5}, d.grad().toArray(), 0);
    }

    @Test
    void whereWithABroadcastCondition() {
        // condition (1,3), a (2,1), b 0-d -> (2,3); a receives a count of the true columns, b of the false
        Tensor cond = Tensor.of(new double[] {1, 0, 1}, 1, 3);
        Tensor a = Tensor.of(new double[] {5, 7}, 2, 1).requiresGrad(true);
        Tensor b = Tensor.scalar(-1).requiresGrad(true);
        Tensor out = Tensor.where(cond, a, b);
        assertArrayEquals(new double[] {5, -1, 5, 7, -1, 7}, out.toArray(), 0);
        out.backward(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3), false, false);
        assertArrayEquals(new double[] {1 + 3, 4 + 6}, a.grad().toArray(), 0);
        assertArrayEquals(new int[] {2, 1}, a.grad().shape());
        assertEquals(0, b.grad().dim());
        assertEquals(2 + 5, b.grad().item(), 0);
    }
}
