package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.Tensor.where;

import io.github.jgrad.autodiff.internal.Kernels.Binary;
import io.github.jgrad.autodiff.internal.Shapes;

/**
 * The chain rule's own primitives, used only inside backward functions: the product (and quotient)
 * of a gradient with a local derivative, and relu's gate. Each keeps the zero-gradient rule (see
 * {@link Op}): a zero gradient sends back exactly zero, even where the local derivative is infinite
 * or NaN; their own backward keeps it too, so gradients of gradients do.
 */
final class ChainOps {
    private ChainOps() {
    }

    // ------------------------------------------------------------------ chain: g * d, 0 where g is 0
    static final Op CHAIN = Op.builtin("chain").rule("g * b (0 where g is 0)", "g * a").broadcasts()
            .edges("the chain rule's product: 0 where the gradient is 0, even where the local derivative is"
                    + " infinite or NaN")
            .chainRule().build();

    /**
     * The chain rule's product: gradient g times a local derivative d, broadcasting, except that a zero
     * gradient sends back exactly zero, even where d is infinite or NaN.
     *
     * <p>Its own backward keeps the rule: towards d it sends gg * g, 0 where either gradient is 0
     * (where g is 0 the result does not move with d at all); towards g it sends gg * d, 0 only where
     * gg is 0, never masked by g: at a critical point g is 0 but the result still moves with g (the
     * Hessian of sin(x)^2 at 0 is 2, not 0).
     */
    static Tensor chain(Tensor g, Tensor d) {
        int[] so = Shapes.broadcast("chain", g.shape, d.shape);
        return ArithmeticOps.elementwise(CHAIN, Binary.CHAIN, g, d, so, (gg, out) -> new Tensor[] {
                    g.requiresGrad ? gg.chain(d).sumTo(g.shape) : null,
                    d.requiresGrad ? bothChain(g, gg).sumTo(d.shape) : null});
    }

    // ------------------------------------------------------------------ bothChain: a * b, 0 where either is 0
    static final Op BOTH_CHAIN = Op.builtin("bothChain").rule("g * b (0 where g or b is 0)",
                    "g * a (0 where g or a is 0)").broadcasts()
            .edges("two gradients' product: 0 where either is 0, even where the other is infinite or NaN")
            .chainRule().build();

    /**
     * a * b, but 0 where either is 0, whatever the other (two gradients, one possibly infinite): the
     * value of {@code chain(a', b)}, with a' = a except that a non-finite a is 0 where b is 0. Its
     * derivative towards a is b, exactly 0 where b is 0 even for an infinite or NaN incoming gradient
     * (the product is 0 there whatever a is; through chain's own backward a NaN gradient of a third
     * derivative came back as NaN * 0). Towards b it is a', differentiable in a: a finite a keeps its
     * derivative with respect to b where b is 0 (the Jacobian of a Hessian-vector product at v = 0 is
     * the Hessian, not 0).
     */
    static Tensor bothChain(Tensor a, Tensor b) {
        Tensor nonFinite = a.abs().lt(Double.POSITIVE_INFINITY).neg().add(1);
        Tensor masked = where(b.eq(0).mul(nonFinite), Tensor.constant(0, a.dtype()), a);
        Tensor value;
        try (GradMode.Scope off = GradMode.disabled()) {
            value = chain(masked, b);
        }
        return Autograd.record(value.dtype(), BOTH_CHAIN, value.data(), value.shape, (gg, out) -> new Tensor[] {
                    a.requiresGrad ? bothChain(gg, b).sumTo(a.shape) : null,
                    b.requiresGrad ? bothChain(masked, gg).sumTo(b.shape) : null}, a, b);
    }

    // ------------------------------------------------------------------ chainDiv: g / d, 0 where g is 0
    static final Op CHAIN_DIV = Op.builtin("chainDiv").rule("g / b (0 where g is 0)", "-g * out / b").broadcasts()
            .edges("the chain rule's quotient: 0 where the gradient is 0, even where the divisor is 0 or NaN")
            .domain(0.5, 2).readsOutput().chainRule().build();

    /** Gradient g divided by d by the rule of {@link #chain}: 0 wherever g is 0, even where d is 0. */
    static Tensor chainDiv(Tensor g, Tensor d) {
        int[] so = Shapes.broadcast("chainDiv", g.shape, d.shape);
        return ArithmeticOps.elementwise(CHAIN_DIV, Binary.CHAIN_DIV, g, d, so, (gg, out) -> new Tensor[] {
                    g.requiresGrad ? gg.chainDiv(d).sumTo(g.shape) : null,
                    d.requiresGrad ? bothChain(out, gg).chainDiv(d).neg().sumTo(d.shape) : null});
    }

    // ------------------------------------------------------------------ chainSign: abs's backward
    static final Op CHAIN_SIGN = Op.builtin("chainSign").rule("g * sign(b) (0 where g is 0)", "none (piecewise constant)")
            .edges("abs's backward in one pass: sign(+-0) is +-0 and sign(NaN) NaN, as Math.signum").build();

    /** Gradient g times sign(x), 0 where g is 0, in one pass; linear in g, so its backward is itself. */
    static Tensor chainSign(Tensor g, Tensor x) {
        return ArithmeticOps.elementwise(CHAIN_SIGN, Binary.CHAIN_SIGN, g, x, g.shape,
                (gg, out) -> new Tensor[] {chainSign(gg, x), null});
    }

    // ------------------------------------------------------------------ gate: relu's backward
    static final Op GATE = Op.builtin("gate").rule("g where b > 0", "none (a mask)")
            .edges("a select, not a product: 0 * inf stays 0").build();

    /** Gradient g where {@code x > 0}, else 0, in one pass; linear in g, so its backward gates too. */
    static Tensor gate(Tensor g, Tensor x) {
        return ArithmeticOps.elementwise(GATE, Binary.GATE, g, x, g.shape, (gg, out) -> new Tensor[] {gate(gg, x), null});
    }
}
