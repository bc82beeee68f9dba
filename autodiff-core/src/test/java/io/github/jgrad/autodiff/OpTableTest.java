package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The generic tests every built-in op gets from its row in {@link OpTable}. */
class OpTableTest {
    static Stream<OpTable.Row> tensorRows() {
        return OpTable.rows().stream().filter(r -> r.tensor() != null);
    }

    static Stream<OpTable.Row> scalarRows() {
        return OpTable.rows().stream().filter(r -> r.scalar() != null);
    }

    @Test
    void everyBuiltinHasATestRowAndWhatExplainAndTheTestsNeed() {
        List<Op> builtins = Op.builtins();
        List<String> missing = new ArrayList<>();
        for (Op op : builtins) {
            OpTable.Row row = OpTable.row(op);
            if (row == null) {
                missing.add(op + ": no row in OpTable");
                continue;
            }
            if (row.tensor() != null && op.rules() == 0) {
                missing.add(op + ": a tensor op without a backward rule for explain reports");
            }
            if (row.scalar() != null && op.formulas() == 0) {
                missing.add(op + ": a scalar op without derivative formulas for explain reports");
            }
            if (row.tensor() != null && row.shapes().length > Math.max(op.rules(), 1) && op != LayoutOps.CONCAT) {
                missing.add(op + ": " + row.shapes().length + " inputs but " + op.rules() + " rules");
            }
            if (!(Double.isFinite(op.low()) && Double.isFinite(op.high()) && op.low() < op.high())) {
                missing.add(op + ": no finite domain");
            }
            if (!op.isBuiltin()) {
                missing.add(op + ": listed as built-in but isBuiltin() is false");
            }
        }
        assertEquals(List.of(), missing);
        assertEquals(builtins.size(), new HashSet<>(builtins).size(), "an op listed twice");
        assertEquals(OpTable.rows().size(), builtins.size(), "a row for an op that is not built-in");
    }

    @Test
    void theReadmeDerivativesTableIsTheRegistrys() throws IOException {
        String readme = Docs.read("docs/reference.md");
        String table = OpTable.markdown();
        if (!readme.contains(table)) {
            fail("docs/reference.md's derivatives table differs from the op registry; replace it with:\n" + table);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensorRows")
    void gradientsMatchFiniteDifferences(OpTable.Row row) {
        for (long seed = 1; seed <= 3; seed++) {
            Tensor[] in = row.inputs(seed);
            Tensor w = Tensor.randn(new SplittableRandom(seed + 100), row.tensor().apply(List.of(in)).shape());
            // sum(f(x) * w): every output element gets its own weight, so no gradient can hide in a sum
            GradCheck.defaults().check(x -> row.tensor().apply(x).mul(w).sum(), in).orThrow();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensorRows")
    void secondDerivativesMatchFiniteDifferencesOfTheGradient(OpTable.Row row) {
        Tensor[] in = row.inputs(7);
        Tensor w = Tensor.randn(new SplittableRandom(8), row.tensor().apply(List.of(in)).shape());
        List<Tensor> v = new ArrayList<>();
        for (int k = 0; k < in.length; k++) {
            v.add(Tensor.randn(new SplittableRandom(20 + k), in[k].shape()));
        }
        // h(x) = sum_k <d/dx_k sum(f(x) * w), v_k>: its gradient is a Hessian-vector product, through backward's ops
        GradCheck.defaults().check(x -> {
            List<Tensor> grads = Tensor.grad(List.of(row.tensor().apply(x).mul(w).sum()), x, true);
            Tensor h = Tensor.scalar(0);
            for (int k = 0; k < grads.size(); k++) {
                h = h.add(grads.get(k).mul(v.get(k)).sum());
            }
            return h;
        }, in).orThrow();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scalarRows")
    void scalarAndTensorDerivativesAgree(OpTable.Row row) {
        SplittableRandom r = new SplittableRandom(row.op().name().hashCode());
        Op op = row.op();
        for (int trial = 0; trial < 20; trial++) {
            List<Value> values = new ArrayList<>();
            List<Tensor> tensors = new ArrayList<>();
            for (int k = 0; k < row.arity(); k++) {
                double x = op.low() + (op.high() - op.low()) * r.nextDouble();
                values.add(Value.of(x));
                tensors.add(Tensor.scalar(x).requiresGrad(true));
            }
            Value out = row.scalar().apply(values);
            assertTrue(out.op() == op, op + " recorded " + out.op());
            out.backward();
            Tensor t = row.twin().apply(tensors);
            List<Tensor> grads = Tensor.grad(List.of(t), tensors, false);
            assertEquals(t.item(), out.data(), 1e-15 * Math.max(1, Math.abs(out.data())), op + " value");
            for (int k = 0; k < row.arity(); k++) {
                double expected = grads.get(k).item();
                assertEquals(expected, values.get(k).grad(), 1e-14 * Math.max(1, Math.abs(expected)),
                        op + ": derivative in operand " + k + " at " + values);
            }
        }
    }
}
