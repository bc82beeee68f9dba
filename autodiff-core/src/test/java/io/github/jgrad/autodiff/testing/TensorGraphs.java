package io.github.jgrad.autodiff.testing;

import io.github.jgrad.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik arbitraries for property-testing code built on {@link Tensor}: random shapes, random
 * broadcasting between inputs, and random op graphs over the element-wise, reduction, softmax and
 * layout ops, with inputs to evaluate them at.
 *
 * <pre>{@code
 * @Property
 * void backwardMatchesFiniteDifferences(@ForAll("cases") TensorGraphs.Case c) {
 *     Assume.that(c.isSmooth());
 *     GradCheck.defaults().check(c.program()::apply, c.inputs()).orThrow();
 * }
 * @Provide Arbitrary<TensorGraphs.Case> cases() { return TensorGraphs.cases(3, 8); }
 * }</pre>
 *
 * <p>Every input's shape broadcasts against one base shape (rank 0 to 3, sides 1 to 3): some leading
 * dimensions dropped, some sides set to 1. Domains are guarded by construction as in
 * {@link ValueGraphs}; kinks (relu, abs, maximum, minimum, clamp, max ties, where) are measured by
 * {@link Case#isSmooth()}. Published in autodiff-core's test-jar.
 */
public final class TensorGraphs {
    /** Kink margin used by {@link Case#isSmooth()}. */
    public static final double KINK_MARGIN = 1e-3;
    /** Largest |intermediate| for which {@link Case#isSmooth()} holds. */
    public static final double MAX_MAGNITUDE = 1e4;

    private TensorGraphs() {
    }

    /** Base shapes: rank 0 to 3, every side 1 to 3. */
    public static Arbitrary<int[]> shapes() {
        return Arbitraries.integers().between(1, 3).list().ofMinSize(0).ofMaxSize(3).map(l -> {
            int[] s = new int[l.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = l.get(i);
            }
            return s;
        });
    }

    /** Shapes that broadcast to {@code base}: leading dimensions dropped, sides replaced by 1. */
    public static Arbitrary<int[]> broadcastableTo(int[] base) {
        return Combinators.combine(Arbitraries.integers().between(0, base.length),
                Arbitraries.integers().between(0, 7)).as((drop, ones) -> {
                    int[] s = Arrays.copyOfRange(base, drop, base.length);
                    for (int i = 0; i < s.length; i++) {
                        if ((ones >> i & 1) == 1) {
                            s[i] = 1;
                        }
                    }
                    return s;
                });
    }

    /** Tensors of the given shape with values in [-2, 2], each 0 or at least 1e-3 in magnitude (see ValueGraphs.points). */
    public static Arbitrary<Tensor> tensors(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        Arbitrary<Double> values = Arbitraries.doubles().between(-2, 2).ofScale(6)
                .filter(v -> v == 0 || Math.abs(v) >= 1e-3);
        return values.list().ofSize(n).map(l -> {
            double[] d = new double[l.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = l.get(i);
            }
            return shape.length == 0 ? Tensor.scalar(d[0]) : Tensor.of(d, shape);
        });
    }

    /** Random programs of 1 to {@code maxOps} instructions over {@code inputs} inputs. */
    public static Arbitrary<Program> programs(int inputs, int maxOps) {
        Arbitrary<Instruction> instruction = Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, 1 << 16).list().ofSize(3),
                Arbitraries.of(-1.5, -0.5, 0.5, 2.0, 3.0))
                .as(Instruction::new);
        return instruction.list().ofMinSize(1).ofMaxSize(maxOps).map(p -> new Program(inputs, p));
    }

    /** A program over 1 to {@code maxInputs} mutually broadcastable inputs, and the inputs. */
    public static Arbitrary<Case> cases(int maxInputs, int maxOps) {
        return shapes().flatMap(base -> Arbitraries.integers().between(1, maxInputs).flatMap(n -> {
            Arbitrary<List<Tensor>> inputs = broadcastableTo(base).flatMap(TensorGraphs::tensors).list().ofSize(n);
            return Combinators.combine(programs(n, maxOps), inputs).as(Case::new);
        }));
    }

    /** A program and the inputs to run it on. */
    public record Case(Program program, List<Tensor> inputList) {
        /** The inputs, as an array for {@code GradCheck.check}. */
        public Tensor[] inputs() {
            return inputList.toArray(new Tensor[0]);
        }

        /** Whether finite differences are meaningful here (no kink within the margin, no overflow). */
        public boolean isSmooth() {
            return program.isSmoothAt(inputList);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(program.toString());
            for (int i = 0; i < inputList.size(); i++) {
                Tensor t = inputList.get(i);
                sb.append("; x").append(i).append(" = ").append(Arrays.toString(t.toArray()))
                        .append(" shape ").append(Arrays.toString(t.shape()));
            }
            return sb.toString();
        }
    }

    /** The ops the generator draws from. */
    enum Kind {
        ADD, SUB, MUL, DIV, NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS, ABS, ERF, MAXIMUM, MINIMUM,
        POW_REAL, POW_TENSOR, CLAMP, SUM, MEAN, MAX, SOFTMAX, LOG_SOFTMAX, WHERE, RESHAPE, SLICE_CONCAT
    }

    /** An op kind, operand/axis choices taken modulo what is available, and a constant. */
    record Instruction(Kind kind, List<Integer> choices, double constant) {
    }

    /** A straight-line program over tensors; instructions may reuse any earlier result. */
    public static final class Program {
        private final int inputs;
        private final List<Instruction> code;

        Program(int inputs, List<Instruction> code) {
            this.inputs = inputs;
            this.code = List.copyOf(code);
        }

        /** Runs the program on {@code x} and returns the last result. */
        public Tensor apply(List<Tensor> x) {
            return run(x, null);
        }

        boolean isSmoothAt(List<Tensor> x) {
            double[] worst = {Double.POSITIVE_INFINITY, 0};
            run(x, worst);
            return worst[0] >= KINK_MARGIN && worst[1] <= MAX_MAGNITUDE;
        }

        private Tensor run(List<Tensor> x, double[] worst) {
            if (x.size() != inputs) {
                throw new IllegalArgumentException("program has " + inputs + " inputs, got " + x.size());
            }
            List<Tensor> nodes = new ArrayList<>(x);
            for (Instruction in : code) {
                Tensor out = step(in, nodes, worst);
                if (worst != null) {
                    for (double v : out.toArray()) {
                        worst[1] = Double.isNaN(v) ? Double.POSITIVE_INFINITY : Math.max(worst[1], Math.abs(v));
                    }
                }
                nodes.add(out);
            }
            return nodes.get(nodes.size() - 1);
        }

        private static Tensor step(Instruction in, List<Tensor> nodes, double[] worst) {
            Tensor a = nodes.get(in.choices().get(0) % nodes.size());
            Tensor b = nodes.get(in.choices().get(1) % nodes.size());
            int pick = in.choices().get(2);
            switch (in.kind()) {
                case ADD: return a.add(b);
                case SUB: return a.sub(b);
                case MUL: return a.mul(b);
                case DIV: return a.div(b.mul(b).add(0.5));
                case NEG: return a.neg();
                case EXP: return a.exp();
                case LOG: return a.mul(a).add(0.25).log();
                case SQRT: return a.mul(a).add(0.25).sqrt();
                case TANH: return a.tanh();
                case SIGMOID: return a.sigmoid();
                case SIN: return a.sin();
                case COS: return a.cos();
                case ERF: return a.erf();
                case RELU: kink(worst, a); return a.relu();
                case ABS: kink(worst, a); return a.abs();
                case MAXIMUM: kink(worst, a.sub(b)); return a.maximum(b);
                case MINIMUM: kink(worst, a.sub(b)); return a.minimum(b);
                case POW_REAL: return a.mul(a).add(0.5).pow(in.constant());
                case POW_TENSOR: return a.mul(a).add(0.5).pow(b);
                case CLAMP:
                    kink(worst, a.sub(-1));
                    kink(worst, a.sub(1));
                    return a.clamp(-1, 1);
                case WHERE: kink(worst, b); return Tensor.where(b.gt(0), a, a.mul(in.constant()));
                default: break;
            }
            if (a.dim() == 0) {
                return a.mul(in.constant());
            }
            int axis = pick % a.dim();
            switch (in.kind()) {
                // keep every result broadcastable to the base shape: dropped axes come back as size 1
                case SUM: return pick % 2 == 0 ? a.sum(axis, true) : a.sum(axis, false).unsqueeze(axis);
                case MEAN: return pick % 2 == 0 ? a.mean(axis, true) : a.mean(axis, false).unsqueeze(axis);
                case MAX:
                    if (worst != null && a.shape(axis) > 1) {
                        // distance between the largest and the second largest along the axis
                        Tensor m = a.max(axis, true);
                        Tensor isMax = a.eq(m);
                        Tensor rest = Tensor.where(isMax, Tensor.scalar(Double.NEGATIVE_INFINITY), a);
                        double gap = m.sub(rest.max(axis, true)).min().item();
                        boolean tie = isMax.sum(axis, true).max().item() > 1;
                        worst[0] = Math.min(worst[0], tie ? 0 : gap);
                    }
                    return a.max(axis, true);
                case SOFTMAX: return a.softmax(axis);
                case LOG_SOFTMAX: return a.logSoftmax(axis);
                case RESHAPE: return a.reshape(-1).mul(in.constant()).reshape(a.shape());
                case SLICE_CONCAT:
                    if (a.shape(axis) < 2) {
                        return a.sin();
                    }
                    int cut = 1 + pick % (a.shape(axis) - 1);
                    return Tensor.concat(axis, a.slice(axis, cut, a.shape(axis)).mul(in.constant()),
                            a.slice(axis, 0, cut));
                default: throw new AssertionError(in.kind());
            }
        }

        private static void kink(double[] worst, Tensor distance) {
            if (worst != null && distance.size() > 0) {
                double d = distance.abs().min().item();
                worst[0] = Math.min(worst[0], Double.isNaN(d) ? 0 : d);
            }
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < code.size(); i++) {
                Instruction in = code.get(i);
                sb.append(i == 0 ? "" : "; ").append('t').append(inputs + i).append(" = ")
                        .append(in.kind().name().toLowerCase(Locale.ROOT)).append(in.choices())
                        .append(" c=").append(in.constant());
            }
            return sb.toString();
        }
    }
}
