package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one scalar op, forward and backward: 1000 independent applications y_i = op(x_i), summed
 * into one node and differentiated; the score is per application (the sum's share included).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScalarOpsBenchmark {
    static final int N = 1000;

    @Param({"add", "mul", "div", "pow", "exp", "log", "tanh", "sigmoid", "relu", "sin"})
    public String op;

    private List<Value> xs;
    private Value c;
    /** The op, chosen once: a switch on the name inside the loop would be timed with it. */
    private UnaryOperator<Value> apply;

    @Setup
    public void setUp() {
        xs = new ArrayList<>(N);
        for (int i = 0; i < N; i++) {
            xs.add(Value.of(0.5 + i * 1e-3));
        }
        c = Value.of(1.25);
        apply = select(op, c);
    }

    private static UnaryOperator<Value> select(String op, Value c) {
        switch (op) {
            case "add": return x -> x.add(c);
            case "mul": return x -> x.mul(c);
            case "div": return x -> x.div(c);
            case "pow": return x -> x.pow(c);
            case "exp": return Value::exp;
            case "log": return Value::log;
            case "tanh": return Value::tanh;
            case "sigmoid": return Value::sigmoid;
            case "relu": return Value::relu;
            case "sin": return Value::sin;
            default: throw new IllegalArgumentException(op);
        }
    }

    /** Forward and backward of 1000 applications. */
    @Benchmark
    @OperationsPerInvocation(N)
    public double forwardBackward() {
        List<Value> ys = new ArrayList<>(N);
        for (Value x : xs) {
            ys.add(apply.apply(x));
        }
        Value s = Value.sum(ys);
        s.backward();
        return xs.get(0).grad();
    }
}
