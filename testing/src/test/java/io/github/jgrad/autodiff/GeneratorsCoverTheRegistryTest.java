package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.testing.TensorGraphs;
import io.github.jgrad.testing.ValueGraphs;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The generators draw from the op registry: 2,000 random graphs record every built-in op with a
 * scalar form (ValueGraphs), and every built-in tensor op a user can call (TensorGraphs). A new
 * built-in op without a generator step fails here.
 */
class GeneratorsCoverTheRegistryTest {
    /**
     * Tensor ops no public method records (backward passes and internal code use them), and {@code to},
     * whose float32 rounding finite differences cannot check: DTypeTest checks its gradients exactly.
     */
    private static final Set<String> INTERNAL = Set.of("matmulNT", "matmulTN", "matmulTT", "scatterAdd",
            "chain", "chainDiv", "bothChain", "gate", "chainSign", "take", "put", "tanhBackward", "sigmoidBackward", "sqrtBackward", "erfBackward",
            "log1pBackward", "softplusBackward", "sinBackward", "cosBackward", "divBackward", "maximumBackward", "powBackward", "clampBackward",
            "softmaxBackward", "logSoftmaxBackward", "to");

    @Test
    void everyScalarBuiltinIsGenerated() {
        Set<Op> recorded = new LinkedHashSet<>();
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 2000; i++) {
            Value y = ValueGraphs.builtin().graph(r, 3, 8).apply(Value.of(ValueGraphs.point(r, 3)));
            for (Value n : ValueTape.order(y)) {
                recorded.add(n.op());
            }
        }
        List<String> missing = new ArrayList<>();
        for (Op op : Op.builtins()) {
            if (op.formulas() > 0 && !recorded.contains(op)) {
                missing.add(op.name());
            }
        }
        assertEquals(List.of(), missing, "built-in scalar ops no ValueGraphs step records");
    }

    @Test
    void everyPublicTensorBuiltinIsGenerated() {
        Set<Op> recorded = new LinkedHashSet<>();
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 2000; i++) {
            TensorGraphs.Case c = TensorGraphs.builtin().cases(2, 8).generate(r);
            List<Tensor> x = new ArrayList<>();
            for (Tensor t : c.inputs()) {
                x.add(t.requiresGrad(true));
            }
            for (Node n : Tape.order(c.graph().apply(x))) {
                recorded.add(((Tensor) n).op());
            }
        }
        List<String> missing = new ArrayList<>();
        for (Op op : Op.builtins()) {
            if (op.rules() > 0 && !recorded.contains(op) && !INTERNAL.contains(op.name())) {
                missing.add(op.name());
            }
        }
        assertEquals(List.of(), missing, "built-in tensor ops no TensorGraphs step records");
    }
}
