package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.util.List;
import java.util.Map;

/**
 * Adam and AdamW, as {@code torch.optim.Adam} / {@code AdamW}: m = b1 m + (1 - b1) g,
 * v = b2 v + (1 - b2) g^2, p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). Adam's weight
 * decay adds wd p to the gradient (L2); AdamW's multiplies p by (1 - lr wd) before the step
 * (decoupled).
 */
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;
    private final Tensor[] m;
    private final Tensor[] v;
    /**
     * Updates each parameter has had, as scalars (null: none yet): bias correction counts a
     * parameter's own steps, as PyTorch.
     */
    private final Tensor[] steps;

    private Adam(List<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay,
                 boolean decoupled) {
        super(parameters, lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0 && eps < Double.POSITIVE_INFINITY)
                || !(weightDecay >= 0 && weightDecay < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("Adam: need betas in [0, 1), eps finite and > 0, weightDecay finite and"
                    + " >= 0; got beta1 " + beta1 + ", beta2 " + beta2 + ", eps " + eps + ", weightDecay "
                    + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        this.m = new Tensor[parameters().size()];
        this.v = new Tensor[parameters().size()];
        this.steps = new Tensor[parameters().size()];
    }

    /** Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static Adam of(List<Tensor> parameters, double lr) {
        return new Adam(parameters, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** Adam with every setting; weight decay is L2 (added to the gradient). */
    public static Adam of(List<Tensor> parameters, double lr, double beta1, double beta2, double eps,
                          double weightDecay) {
        return new Adam(parameters, lr, beta1, beta2, eps, weightDecay, false);
    }

    /** AdamW (decoupled weight decay) with betas (0.9, 0.999), eps 1e-8. */
    public static Adam adamW(List<Tensor> parameters, double lr, double weightDecay) {
        return new Adam(parameters, lr, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    @Override
    protected String kind() {
        return "adam";
    }

    @Override
    protected Map<String, Double> settings() {
        return Map.of("beta1", beta1, "beta2", beta2, "eps", eps, "weight_decay", weightDecay,
                "decoupled", decoupled ? 1.0 : 0.0);
    }

    @Override
    protected Map<String, Tensor[]> buffers() {
        return Map.of("exp_avg", m, "exp_avg_sq", v, "step", steps);
    }

    @Override
    protected int[] stateShape(String name, Tensor parameter) {
        return name.equals("step") ? new int[0] : parameter.shape();
    }

    @Override
    protected boolean followsDtype(String name) {
        return !name.equals("step"); // a per-parameter count, float64 as PyTorch's
    }

    @Override
    protected void update(int i, Tensor p, Tensor grad) {
        double lr = learningRate();
        Tensor g = grad;
        if (weightDecay != 0) {
            if (decoupled) { // p * (1 - lr wd), as PyTorch's p.mul_(...): the factor in p's dtype, one rounding
                p.copyFrom(p.mul(Tensor.scalar(1 - lr * weightDecay).to(p.dtype())));
            } else {
                g = g.add(p.mul(weightDecay));
            }
        }
        // the state is updated in place, so that it outlives a workspace scope and reuses its memory
        if (m[i] == null) {
            m[i] = Workspace.keep(g.mul(1 - beta1));
        } else {
            m[i].copyFrom(m[i].mul(beta1).add(g.mul(1 - beta1)));
        }
        if (v[i] == null) {
            v[i] = Workspace.keep(g.mul(g).mul(1 - beta2));
        } else {
            v[i].copyFrom(v[i].mul(beta2).add(g.mul(g).mul(1 - beta2)));
        }
        int own = steps[i] == null ? 1 : (int) steps[i].item() + 1;
        steps[i] = Workspace.keep(Tensor.scalar(own));
        double c1 = 1 - Math.pow(beta1, own);
        double c2 = 1 - Math.pow(beta2, own);
        Tensor step = m[i].div(c1).div(v[i].div(c2).sqrt().add(eps));
        p.addInPlace(-lr, step);
    }
}
