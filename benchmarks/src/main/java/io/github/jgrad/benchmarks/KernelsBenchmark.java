package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Element-wise and reduction kernels on a 1000 x 1000 tensor, in float64 and float32: forward only, no graph recorded, except
 * the {@code *Backward} kernels (forward and backward of one op on a tensor that requires grad).
 * With {@code reuse}, each call runs in a {@link Workspace} scope, so results are computed into the
 * memory of the call before, as numpy's are when its allocator reuses memory.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelsBenchmark {
    @Param({"1000"})
    public int n;

    @Param({"add", "addRow", "mul", "relu", "exp", "tanh", "log", "sigmoid", "erf", "sumAll", "sumRows", "sumCols", "max", "softmax", "transpose",
        "sqrt", "log1p", "sin", "softplus", "mulBackward", "mulReluBackward", "expBackward", "logBackward", "sigmoidBackward", "tanhBackward", "sqrtBackward", "erfBackward", "sinBackward",
        "softplusBackward", "pow2", "pow2Backward", "pow3", "pow3Backward", "clamp", "clampBackward", "abs", "absBackward", "divRowBackward", "maximumScalarBackward", "logSoftmaxBackward"})
    public String kernel;

    @Param({"false", "true"})
    public boolean reuse;

    @Param({"float64", "float32"})
    public String dtype;

    private final Workspace workspace = Workspace.create();

    private Tensor a;
    private Tensor b;
    private Tensor row;
    private Tensor param;
    private Tensor rowParam;
    private Tensor signedParam;
    private Tensor seed;
    private Tensor unit;

    @Setup
    public void setUp() {
        DType t = dtype.equals("float32") ? DType.FLOAT32 : DType.FLOAT64;
        a = Tensor.randn(new SplittableRandom(1), n, n).to(t);
        b = Tensor.randn(new SplittableRandom(2), n, n).to(t);
        row = Tensor.randn(new SplittableRandom(3), n).to(t);
        param = Tensor.rand(new SplittableRandom(4), n, n).add(0.5).to(t).requiresGrad(true);
        rowParam = Tensor.rand(new SplittableRandom(7), n).add(0.5).to(t).requiresGrad(true);
        signedParam = Tensor.randn(new SplittableRandom(8), n, n).to(t).requiresGrad(true); // both signs: abs's backward
        seed = Tensor.randn(new SplittableRandom(5), n, n).to(t);
        unit = Tensor.rand(new SplittableRandom(6), n, n).to(t); // [0, 1): where the logistic losses call log1p (on e^-|z|)
    }

    @Benchmark
    public Tensor run() {
        if (!reuse) {
            return kernel();
        }
        try (Workspace.Scope s = workspace.open()) {
            return kernel(); // reclaimed when returned: JMH only consumes the reference
        }
    }

    private Tensor kernel() {
        switch (kernel) {
            case "add": return a.add(b);
            case "addRow": return a.add(row);
            case "mul": return a.mul(b);
            case "relu": return a.relu();
            case "exp": return a.exp();
            case "tanh": return a.tanh();
            case "log": return param.detach().log(); // logBackward's forward alone
            case "sigmoid": return a.sigmoid();
            case "erf": return a.erf();
            case "sumAll": return a.sum();
            case "sumRows": return a.sum(1, false);
            case "sumCols": return a.sum(0, false);
            case "max": return a.max(1, false);
            case "softmax": return a.softmax(1);
            case "transpose": return a.mT();
            case "sqrt": return param.detach().sqrt(); // sqrtBackward's forward alone
            case "log1p": return unit.log1p();
            case "sin": return param.detach().sin();
            case "softplus": return param.detach().softplus();
            // forward and backward of one op (the backward multiplies the gradient by a local derivative)
            case "mulBackward": return backward(param.mul(b));
            case "mulReluBackward": return backward(param.mul(b).relu()); // a gradient zero at half the places
            case "expBackward": return backward(param.exp());
            case "logBackward": return backward(param.log());
            case "sigmoidBackward": return backward(param.sigmoid());
            case "tanhBackward": return backward(param.tanh());
            case "sqrtBackward": return backward(param.sqrt());
            case "erfBackward": return backward(param.erf());
            case "sinBackward": return backward(param.sin());
            case "softplusBackward": return backward(param.softplus());
            case "pow2": return param.detach().pow(2); // pow2Backward's forward alone (MSE's square)
            case "pow2Backward": return backward(param.pow(2));
            case "pow3": return param.detach().pow(3); // pow3Backward's forward alone
            case "pow3Backward": return backward(param.pow(3));
            case "clamp": return a.clamp(-1, 1);
            case "clampBackward": return backward(param.clamp(0.75, 1.25));
            case "abs": return signedParam.detach().abs(); // absBackward's forward alone
            case "absBackward": return backward(signedParam.abs(), signedParam);
            case "divRowBackward": return backward(param.div(rowParam), rowParam); // towards a broadcast divisor
            case "logSoftmaxBackward": return backward(param.logSoftmax(1));
            case "maximumScalarBackward": return backward(param.maximum(Tensor.scalar(1.0).to(param.dtype())));
            default: throw new IllegalArgumentException(kernel);
        }
    }

    private Tensor backward(Tensor y) {
        return backward(y, param);
    }

    private Tensor backward(Tensor y, Tensor towards) {
        y.backward(seed, false, false);
        Tensor g = towards.grad();
        param.zeroGrad();
        rowParam.zeroGrad();
        signedParam.zeroGrad();
        return g;
    }
}
