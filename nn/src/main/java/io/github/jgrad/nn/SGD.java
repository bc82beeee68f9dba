package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent, as {@code torch.optim.SGD}: with weight decay wd, momentum mu and
 * dampening 0, g = grad + wd p; b = mu b + g (b = g at the first step); the step is g + mu b with
 * Nesterov, b without (g without momentum); p -= lr * step.
 */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double weightDecay;
    private final boolean nesterov;
    private final Tensor[] buffers;

    private SGD(List<Tensor> parameters, double lr, double momentum, double weightDecay, boolean nesterov) {
        super(parameters, lr);
        if (!(momentum >= 0 && momentum < Double.POSITIVE_INFINITY) || !(weightDecay >= 0
                && weightDecay < Double.POSITIVE_INFINITY) || (nesterov && momentum == 0)) {
            throw new IllegalArgumentException("SGD: need momentum and weightDecay finite and >= 0, and momentum > 0"
                    + " for Nesterov; got momentum " + momentum + ", weightDecay " + weightDecay + ", nesterov " + nesterov);
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buffers = new Tensor[parameters().size()];
    }

    /** Plain gradient descent: p -= lr * grad. */
    public static SGD of(List<Tensor> parameters, double lr) {
        return new SGD(parameters, lr, 0, 0, false);
    }

    /** SGD with momentum, optional Nesterov momentum, and L2 weight decay. */
    public static SGD of(List<Tensor> parameters, double lr, double momentum, double weightDecay, boolean nesterov) {
        return new SGD(parameters, lr, momentum, weightDecay, nesterov);
    }

    @Override
    protected String kind() {
        return "sgd";
    }

    @Override
    protected Map<String, Double> settings() {
        return Map.of("momentum", momentum, "weight_decay", weightDecay, "nesterov", nesterov ? 1.0 : 0.0);
    }

    @Override
    protected Map<String, Tensor[]> buffers() {
        return Map.of("momentum_buffer", buffers);
    }

    @Override
    protected void update(int i, Tensor p, Tensor grad) {
        Tensor g = weightDecay == 0 ? grad : grad.add(p.mul(weightDecay));
        if (momentum != 0) {
            if (buffers[i] == null) {
                buffers[i] = Workspace.keep(g.mul(1.0)); // a copy (exact): state outlives a workspace scope
            } else {
                buffers[i].copyFrom(buffers[i].mul(momentum).add(g));
            }
            g = nesterov ? g.add(buffers[i].mul(momentum)) : buffers[i];
        }
        p.addInPlace(-learningRate(), g);
    }
}
