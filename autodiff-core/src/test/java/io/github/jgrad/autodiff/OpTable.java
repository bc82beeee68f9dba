package io.github.jgrad.autodiff;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The test table of the built-in ops, as PyTorch's OpInfo: one row per {@link Op#builtins() built-in
 * op} saying how to call it on tensors (and on scalars, where it has a scalar form), on inputs of
 * which shapes. The generic tests in {@link OpTableTest} run every row; a built-in op without a row
 * fails them. Inputs are drawn from the op's own domain ({@link Op#low()}, {@link Op#high()}).
 */
final class OpTable {
    /**
     * How to test one op: {@code tensor} computes it from inputs of {@code shapes} (null for ops with
     * no tensor form); {@code scalar} from {@code arity} values (null for ops with no scalar form), and
     * {@code twin} the same function with tensors of shape () in place of the values, so that the
     * scalar and tensor derivatives can be compared.
     */
    record Row(Op op, int[][] shapes, Function<List<Tensor>, Tensor> tensor, int arity,
               Function<List<Value>, Value> scalar, Function<List<Tensor>, Tensor> twin) {
        /** Inputs of the row's shapes, drawn uniformly from the op's domain with {@code seed}. */
        Tensor[] inputs(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            Tensor[] in = new Tensor[shapes.length];
            for (int k = 0; k < in.length; k++) {
                in[k] = Tensor.uniform(new SplittableRandom(r.nextLong()), op.low(), op.high(), shapes[k]);
            }
            return in;
        }

        @Override
        public String toString() {
            return op.name();
        }
    }

    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double NAN = Double.NaN;

    // ------------------------------------------------------------------ edge points
    // Values and derivatives at the edges of an op's domain, for Value and Tensor alike, following
    // PyTorch's derivatives.yaml. Each point: the operands, the result, then d/d(each operand). NaN
    // means "not defined here" and is asserted as NaN; an infinite derivative is the true one-sided
    // limit. EdgePointTest checks them.

    /** a, b, a^b, d/da, d/db. */
    private static final double[][] POW = {
        {-2, 3, -8, 12, NAN},            // integer exponent of a negative base: d/db needs ln(a)
        {-2, 2, 4, -4, NAN},
        {-2, 0.5, NAN, NAN, NAN},        // fractional exponent of a negative base
        {-8, 1.0 / 3, NAN, NAN, NAN},
        {0, 0, 1, 0, 0},                 // 0^0 = 1; both derivatives 0, as PyTorch
        {0, 1, 0, 1, 0},
        {0, 2, 0, 0, 0},
        {0, 0.5, 0, INF, 0},             // sqrt-like at 0: infinite slope
        {0, -1, INF, -INF, -INF},        // 1/x at 0; d/db = inf * ln(0)
        {2, 0, 1, 0, Math.log(2)},
        {-2, 0, 1, 0, NAN},              // x^0 = 1 everywhere, but d/db = ln(-2)
        // C99's special values, where Java's Math.pow differs (NaN); derivatives by the same formulas
        {1, NAN, 1, NAN, 0},             // 1^y = 1 for every y; d/db = 1 * ln(1) = 0
        {1, INF, 1, INF, 0},
        {1, -INF, 1, -INF, 0},
        {-1, INF, 1, INF, NAN},          // (-1)^(+-inf) = 1; d/db needs ln(-1)
        {-1, -INF, 1, -INF, NAN},
        {NAN, 0, 1, 0, NAN},             // x^0 = 1 even for NaN
        {NAN, 1, NAN, 1, NAN},
        {2, NAN, NAN, NAN, NAN},
        {INF, 2, INF, INF, INF},
        {INF, -1, 0, 0, NAN},            // d/db = 0 * ln(inf)
        {-INF, 3, -INF, INF, NAN},
        {0.5, INF, 0, NAN, 0},           // d/da = inf * 0
        {0, INF, 0, NAN, 0},
        {0, -INF, INF, -INF, -INF},
        {-0.0, -1, -INF, -INF, INF},     // signed zero: (-0)^-1 = -inf
    };

    /** a, b, a/b, d/da, d/db. */
    private static final double[][] DIV = {
        {1, 0, INF, INF, -INF},
        {-1, 0, -INF, INF, INF},
        {0, 0, NAN, INF, NAN},
        {6, 3, 2, 1.0 / 3, -2.0 / 3},
    };

    /** a, b, max(a, b), d/da, d/db: ties split the gradient evenly. */
    private static final double[][] MAX = {{2, 2, 2, 0.5, 0.5}, {3, 2, 3, 1, 0}, {2, 3, 3, 0, 1}, {0, -0.0, 0, 0.5, 0.5},
        {NAN, 1, NAN, 1, 1}, {1, NAN, NAN, 1, 1}};                        // NaN: all of it to each, as PyTorch
    private static final double[][] MIN = {{2, 2, 2, 0.5, 0.5}, {3, 2, 2, 0, 1}, {2, 3, 2, 1, 0},
        {NAN, 1, NAN, 1, 1}, {1, NAN, NAN, 1, 1}};

    /** x, f(x), f'(x) for unary ops. */
    private static final double[][] SQRT = {{0, 0, INF}, {-1, NAN, NAN}, {4, 2, 0.25}};
    private static final double[][] LOG = {{0, -INF, INF}, {-1, NAN, -1}, {1, 0, 1}};   // 1/x applied as is
    private static final double[][] ABS = {{0, 0, 0}, {-0.0, 0, 0}, {-3, 3, -1}, {3, 3, 1}};
    private static final double[][] RELU = {{0, 0, 0}, {-0.0, 0, 0}, {-3, 0, 0}, {3, 3, 1}, {Double.NaN, Double.NaN, 0}};
    private static final double[][] EXP = {{-INF, 0, 0}, {INF, INF, INF}, {0, 1, 1}};
    private static final double[][] TANH = {{INF, 1, 0}, {-INF, -1, 0}, {0, 0, 1}};
    /** erf: odd, saturating at +-1 with a vanishing slope; the slope at 0 is 2/sqrt(pi). */
    private static final double[][] ERF = {{0, 0, 1.1283791670955126}, {-0.0, -0.0, 1.1283791670955126},
        {INF, 1, 0}, {-INF, -1, 0}, {6, 1, 2.617301239249265e-16}, {30, 1, 0}, {NAN, NAN, NAN}};
    private static final double[][] SIGMOID = {{INF, 1, 0}, {-INF, 0, 0}, {0, 0.5, 0.25}, {-800, 0, 0}};

    private static final Map<Op, double[][]> EDGES = new LinkedHashMap<>();

    static final int[] S23 = {2, 3};
    static final int[] S3 = {3};
    private static final Map<Op, Row> ROWS = new LinkedHashMap<>();

    static {
        // element-wise binary ops: broadcast (2, 3) against (3)
        binary(ArithmeticOps.ADD, l -> l.get(0).add(l.get(1)), v -> v.get(0).add(v.get(1)));
        binary(ArithmeticOps.SUB, l -> l.get(0).sub(l.get(1)), v -> v.get(0).sub(v.get(1)));
        binary(ArithmeticOps.MUL, l -> l.get(0).mul(l.get(1)), v -> v.get(0).mul(v.get(1)));
        binary(ArithmeticOps.DIV, l -> l.get(0).div(l.get(1)), v -> v.get(0).div(v.get(1)));
        tensor(ArithmeticOps.DIV_BACKWARD, l -> ArithmeticOps.divBackward(l.get(0), l.get(1), l.get(2)), S23, S23, S23);
        binary(ArithmeticOps.POW, l -> l.get(0).pow(l.get(1)), v -> v.get(0).pow(v.get(1)));
        tensor(ArithmeticOps.POW_BACKWARD, l -> ArithmeticOps.powBackward(l.get(0), l.get(1), Tensor.of(new double[] {1.5, -0.5, 3, 2, 0.5, -1}, 2, 3)), S23, S23);
        binary(ArithmeticOps.MAXIMUM, l -> l.get(0).maximum(l.get(1)), v -> v.get(0).max(v.get(1)));
        tensor(ArithmeticOps.MAXIMUM_BACKWARD, l -> ArithmeticOps.maximumBackward(l.get(0), l.get(1), l.get(2)), S23, S23, S23);
        scalarOnly(ArithmeticOps.MINIMUM, 2, v -> v.get(0).min(v.get(1)), l -> l.get(0).minimum(l.get(1)));
        tensor(ArithmeticOps.WHERE, l -> Tensor.where(l.get(0).gt(0), l.get(0), l.get(1)), S23, S3);
        // element-wise unary ops
        unary(UnaryOps.NEG, Tensor::neg, Value::neg);
        unary(UnaryOps.EXP, Tensor::exp, Value::exp);
        unary(UnaryOps.LOG, Tensor::log, Value::log);
        unary(UnaryOps.LOG1P, Tensor::log1p, null);
        tensor(UnaryOps.LOG1P_BACKWARD, l -> UnaryOps.log1pBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.SQRT, Tensor::sqrt, Value::sqrt);
        tensor(UnaryOps.SQRT_BACKWARD, l -> UnaryOps.sqrtBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.TANH, Tensor::tanh, Value::tanh);
        tensor(UnaryOps.TANH_BACKWARD, l -> UnaryOps.tanhBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.SIGMOID, Tensor::sigmoid, Value::sigmoid);
        tensor(UnaryOps.SIGMOID_BACKWARD, l -> UnaryOps.sigmoidBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.SOFTPLUS, Tensor::softplus, Value::softplus);
        tensor(UnaryOps.SOFTPLUS_BACKWARD, l -> UnaryOps.softplusBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.RELU, Tensor::relu, Value::relu);
        unary(UnaryOps.SIN, Tensor::sin, Value::sin);
        tensor(UnaryOps.SIN_BACKWARD, l -> UnaryOps.sinBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.COS, Tensor::cos, Value::cos);
        tensor(UnaryOps.COS_BACKWARD, l -> UnaryOps.cosBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.ABS, Tensor::abs, Value::abs);
        unary(UnaryOps.ERF, Tensor::erf, Value::erf);
        tensor(UnaryOps.ERF_BACKWARD, l -> UnaryOps.erfBackward(l.get(0), l.get(1)), S23, S23);
        unary(UnaryOps.CLAMP, t -> t.clamp(-1, 1), null);
        tensor(UnaryOps.CLAMP_BACKWARD, l -> UnaryOps.clampBackward(l.get(0), l.get(1), 0.9, 1.7), S23, S23);
        // reductions
        ROWS.put(ReduceOps.SUM, new Row(ReduceOps.SUM, new int[][] {S23}, l -> l.get(0).sum(new int[] {1}, false), 3,
                v -> Value.sum(v), l -> Tensor.stack(0, l.toArray(new Tensor[0])).sum()));
        scalarOnly(ReduceOps.DOT, 4, v -> Value.dot(v.subList(0, 2), v.subList(2, 4)),
                l -> Tensor.stack(0, l.get(0), l.get(1)).mul(Tensor.stack(0, l.get(2), l.get(3))).sum());
        tensor(ReduceOps.AMAX, l -> l.get(0).max(1), S23);
        tensor(ReduceOps.SOFTMAX, l -> l.get(0).softmax(0), S23);
        tensor(ReduceOps.LOG_SOFTMAX, l -> l.get(0).logSoftmax(1), S23);
        tensor(ReduceOps.SOFTMAX_BACKWARD, l -> ReduceOps.softmaxBackward(l.get(0), l.get(1), 1), S23, S23);
        tensor(ReduceOps.LOG_SOFTMAX_BACKWARD, l -> ReduceOps.logSoftmaxBackward(l.get(0), l.get(1), 0), S23, S23);
        // products
        tensor(ProductOps.MATMUL, l -> l.get(0).matmul(l.get(1)), S23, new int[] {3, 4});
        tensor(ProductOps.MATMUL_NT, l -> ProductOps.mm(l.get(0), false, l.get(1), true), S23, new int[] {4, 3});
        tensor(ProductOps.MATMUL_TN, l -> ProductOps.mm(l.get(0), true, l.get(1), false), new int[] {3, 2},
                new int[] {3, 4});
        tensor(ProductOps.MATMUL_TT, l -> ProductOps.mm(l.get(0), true, l.get(1), true), new int[] {3, 2},
                new int[] {4, 3});
        tensor(ProductOps.MATMUL_ADD, l -> l.get(0).matmulAdd(l.get(1), l.get(2)), S23, new int[] {3, 4},
                new int[] {4});
        // layout
        tensor(LayoutOps.RESHAPE, l -> l.get(0).reshape(3, 2), S23);
        tensor(LayoutOps.PERMUTE, l -> l.get(0).permute(1, 0), S23);
        tensor(LayoutOps.BROADCAST_TO, l -> l.get(0).broadcastTo(4, 2, 3), S23);
        tensor(LayoutOps.COPY, l -> LayoutOps.copy(l.get(0)), S23);
        // float32's rounding defeats finite differences: DTypeTest checks to's gradients exactly instead
        ROWS.put(LayoutOps.TO, new Row(LayoutOps.TO, new int[0][], null, 0, null, null));
        tensor(LayoutOps.SLICE, l -> l.get(0).slice(1, 0, 3, 2), S23);
        tensor(LayoutOps.INDEX_SELECT, l -> l.get(0).indexSelect(1, 2, 0, 2), S23);
        tensor(LayoutOps.TAKE, l -> LayoutOps.take(LayoutOps.TAKE, l.get(0), 0, new int[] {1, 1, 0}), S23);
        tensor(LayoutOps.PUT, l -> LayoutOps.put(l.get(0), new int[] {4, 3}, 0, new int[] {3, 0}), S23);
        tensor(LayoutOps.GATHER, l -> l.get(0).gather(1, Tensor.of(new double[] {2, 0, 1, 1}, 2, 2)), S23);
        tensor(LayoutOps.SCATTER_ADD, l -> LayoutOps.scatterAdd(l.get(0), new int[] {2, 4}, 1, new int[] {3, 0, 3,
            1, 1, 2}), S23);
        tensor(LayoutOps.CONCAT, l -> Tensor.concat(0, l.get(0), l.get(1)), S23, new int[] {1, 3});
        // the chain rule's own ops
        tensor(ChainOps.CHAIN, l -> ChainOps.chain(l.get(0), l.get(1)), S23, S3);
        tensor(ChainOps.CHAIN_DIV, l -> ChainOps.chainDiv(l.get(0), l.get(1)), S23, S3);
        tensor(ChainOps.BOTH_CHAIN, l -> ChainOps.bothChain(l.get(0), l.get(1)), S23, S3);
        tensor(ChainOps.GATE, l -> ChainOps.gate(l.get(0), l.get(1)), S23, S23);
        tensor(ChainOps.CHAIN_SIGN, l -> ChainOps.chainSign(l.get(0), l.get(1)), S23, S23);
    }

    static {
        EDGES.put(ArithmeticOps.POW, POW);
        EDGES.put(ArithmeticOps.DIV, DIV);
        EDGES.put(ArithmeticOps.MAXIMUM, MAX);
        EDGES.put(ArithmeticOps.MINIMUM, MIN);
        EDGES.put(UnaryOps.SQRT, SQRT);
        EDGES.put(UnaryOps.LOG, LOG);
        EDGES.put(UnaryOps.ABS, ABS);
        EDGES.put(UnaryOps.RELU, RELU);
        EDGES.put(UnaryOps.EXP, EXP);
        EDGES.put(UnaryOps.TANH, TANH);
        EDGES.put(UnaryOps.SIGMOID, SIGMOID);
        EDGES.put(UnaryOps.ERF, ERF);
    }

    private OpTable() {
    }

    /** The edge points of {@code op} (operands, result, derivatives), none if it has no table. */
    static double[][] edges(Op op) {
        return EDGES.getOrDefault(op, new double[0][]);
    }

    private static void binary(Op op, Function<List<Tensor>, Tensor> t, Function<List<Value>, Value> v) {
        ROWS.put(op, new Row(op, new int[][] {S23, S3}, t, v == null ? 0 : 2, v, v == null ? null : t));
    }

    private static void unary(Op op, Function<Tensor, Tensor> t, Function<Value, Value> v) {
        Function<List<Tensor>, Tensor> onList = l -> t.apply(l.get(0));
        ROWS.put(op, new Row(op, new int[][] {S23}, onList, v == null ? 0 : 1,
                v == null ? null : l -> v.apply(l.get(0)), v == null ? null : onList));
    }

    private static void scalarOnly(Op op, int arity, Function<List<Value>, Value> v, Function<List<Tensor>, Tensor> twin) {
        ROWS.put(op, new Row(op, new int[0][], null, arity, v, twin));
    }

    private static void tensor(Op op, Function<List<Tensor>, Tensor> t, int[]... shapes) {
        ROWS.put(op, new Row(op, shapes, t, 0, null, null));
    }

    /** Every row, in the order of {@link Op#builtins()}. */
    static List<Row> rows() {
        return List.copyOf(ROWS.values());
    }

    /** The row of {@code op}, or null. */
    static Row row(Op op) {
        return ROWS.get(op);
    }

    /**
     * The README's derivatives table, generated from the registry: one row per built-in op with its
     * tensor backward rule per input, its scalar local derivatives and its edge points.
     */
    static String markdown() {
        StringBuilder sb = new StringBuilder("| op | tensor backward, per input | scalar local derivatives | edge points |\n");
        sb.append("|---|---|---|---|\n");
        for (Op op : Op.builtins()) {
            StringBuilder rules = new StringBuilder();
            for (int i = 0; i < op.rules(); i++) {
                rules.append(i == 0 ? "" : "; ").append(op.rule(i));
            }
            StringBuilder formulas = new StringBuilder();
            for (int i = 0; i < op.formulas(); i++) {
                formulas.append(i == 0 ? "" : "; ").append(op.derivative(i));
            }
            sb.append("| `").append(op.name()).append("` | ").append(cell(rules)).append(" | ").append(cell(formulas))
                    .append(" | ").append(cell(op.edges())).append(" |\n");
        }
        return sb.toString();
    }

    private static String cell(CharSequence s) {
        return s.length() == 0 ? "-" : s.toString().replace("|", "\\|");
    }
}
