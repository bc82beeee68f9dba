package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's code examples and checks that the README shows exactly this code: every block
 * after a {@code <!-- tested in ReadmeExampleTest -->} line must equal, line by line (ignoring
 * indentation), one region of this file between {@code // begin README} and {@code // end README}.
 * A block after a {@code <!-- output of the example above, checked by ReadmeExampleTest -->} line
 * must equal exactly what the example before it prints.
 */
class ReadmeExampleTest {
    private static final String MARK = "<!-- tested in ReadmeExampleTest -->";
    /** Marks a README block that must equal, line by line and exactly, what the example above it prints. */
    private static final String OUTPUT_MARK = "<!-- output of the example above, checked by ReadmeExampleTest -->";

    @Test
    void scalarExample() {
        String out = capture(() -> {
            // begin README
            Value a = Value.of(-4.0, "a");
            Value b = Value.of(2.0, "b");
            Value c = a.mul(b).add(b.pow(3)).label("c");   // c = a*b + b^3 = 0
            Value d = c.tanh().add(a.relu()).label("d");   // d = tanh(c) + relu(a)
            d.backward();                                  // chain rule over the whole graph
            System.out.println(d.data());                  // 0.0
            System.out.println(a.grad());                  // dd/da = b * (1 - tanh(c)^2) + 0 = 2.0
            System.out.println(b.grad());                  // dd/db = (a + 3b^2) * 1 = 8.0
            System.out.println(GraphViz.dot(d).lines().count() > 10);  // true: render with `dot -Tsvg`
            // end README
        });
        assertEquals(List.of("0.0", "2.0", "8.0", "true"), out.lines().toList());
    }

    @Test
    void tensorExample() {
        String out = capture(() -> {
            // begin README
            Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);      // a batch of 2 rows
            var random = new SplittableRandom(42);                            // seeded: the same numbers every run
            Tensor w = Tensor.randn(random, 3, 4).mul(0.5).requiresGrad(true);
            Tensor b = Tensor.zeros(4).requiresGrad(true);
            Tensor logits = x.matmul(w).add(b);                               // (2,3)@(3,4) + (4) broadcasts
            Tensor loss = logits.logSoftmax(1).gather(1, Tensor.of(new double[] {2, 0}, 2, 1)).mean().neg();
            loss.backward();                                                  // frees the graph afterwards
            System.out.println(java.util.Arrays.toString(w.grad().shape()));  // [3, 4]
            System.out.println(Math.abs(b.grad().sum().item()) < 1e-15);      // true: softmax rows sum to 1

            Tensor t = Tensor.scalar(0.5).requiresGrad(true);
            Tensor dy = Tensor.grad(t.pow(3), t, true);                       // 3t^2, itself on the tape
            System.out.println(Tensor.grad(dy, t, false).item());             // d2/dt2 t^3 = 6t = 3.0
            // end README
        });
        assertEquals(List.of("[3, 4]", "true", "3.0"), out.lines().toList());
    }

    @Test
    void userOpExample() {
        String printed = capture(() -> {
            // begin README
            // softplus(x) = log(1 + e^x), stable for large |x|; d/dx = sigmoid(x); for tensors and scalars
            Op softplus = Op.define("softplus")
                    .tensor(in -> in[0].maximum(0).add(in[0].abs().neg().exp().log1p()),
                            (g, out, in) -> new Tensor[] {g.mul(in[0].sigmoid())})
                    .rule("g * sigmoid(a)")
                    .unary(x -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), (x, out) -> 1 / (1 + Math.exp(-x)))
                    .derivative("sigmoid(a)")
                    .build();
            // a straight-through estimator: rounds forward, passes the gradient unchanged backward
            Op roundSte = Op.define("roundSTE")
                    .tensor(in -> {
                        double[] d = in[0].toArray();
                        for (int i = 0; i < d.length; i++) {
                            d[i] = Math.rint(d[i]);
                        }
                        return Tensor.of(d, in[0].shape());
                    }, (g, out, in) -> new Tensor[] {g})
                    .rule("g")
                    .build();
            Tensor x = Tensor.of(new double[] {-0.8, 0.4, 30.2}).requiresGrad(true);
            softplus.apply(roundSte.apply(x)).sum().backward();
            System.out.println(java.util.Arrays.toString(x.grad().toArray()));  // sigmoid of the rounded x
            System.out.println(softplus.apply(Value.of(2.0)).data());            // log(1 + e^2) = 2.1269280110429727
            // end README
        });
        double s = 1 / (1 + Math.exp(1));
        assertEquals("[" + s + ", 0.5, " + 1 / (1 + Math.exp(-30)) + "]\n2.1269280110429727\n", printed.replace("\r", ""));
    }

    @Test
    void explainExample() throws IOException {
        String out = capture(() -> {
            // begin README
            Value x = Value.of(0.5, "x");
            Value y = Value.of(-1.5, "y");
            Value f = x.mul(y).add(x).tanh().label("f");      // f = tanh(x*y + x): three operations
            System.out.print(Explain.backward(f).toText());   // runs f.backward() and prints every step
            // end README
        });
        List<String> shown = blockAfter(Docs.lines(), OUTPUT_MARK);
        assertEquals(shown, out.lines().toList(), "README shows other output than the explain example prints");
    }

    @Test
    void tensorExplainExample() {
        String out = capture(() -> {
            // begin README
            Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).label("x");
            Tensor w = Tensor.of(new double[] {0.5, -1}, 2, 1).requiresGrad(true).label("w");
            Tensor b = Tensor.of(new double[] {0.25}).requiresGrad(true).label("b");
            Tensor loss = x.matmulAdd(w, b).tanh().sum().label("loss");
            System.out.print(Explain.backward(loss).toText());   // op by op, with the numbers
            // end README
        });
        List<String> lines = out.lines().toList();
        assertEquals("Backward pass of loss = -1.8263 (6 tensors, 4 steps)", lines.get(0));
        assertTrue(out.contains("  3. dloss/dw = x^T @ g   (backward of matmulAdd1, (2, 1)) = [0.4108, 0.7347]"), out);
        assertTrue(out.contains("  4. dloss/db = g summed to the bias's shape   (backward of matmulAdd1, (1)) = [0.3239]"),
                out);
        String readme = Docs.text();
        for (String line : lines) {
            assertTrue(readme.contains(line + "\n"), "README does not show this output line: " + line);
        }
    }

    @Test
    void gradCheckExample() {
        String out = capture(() -> {
            // begin README
            GradCheck.Report report = GradCheck.defaults()
                    .check(x -> x.get(0).mul(x.get(1)).sin().div(x.get(0).exp()), 0.5, -1.5);
            System.out.println(report.passed());           // true
            System.out.println(report);                    // names the worst input and both numbers
            GradCheck fast = GradCheck.defaults().fast();  // one random-direction comparison: 6 evaluations of f
            System.out.println(fast.check(x -> x.get(0).mul(x.get(1)).sin(), 0.5, -1.5).passed());  // true
            GradCheck.Report kink = GradCheck.defaults().check(x -> x.get(0).relu(), 0.0);
            System.out.println(kink.untrusted().get(0));   // cannot check input x0: ... slopes left 0 and right 1 ...
            // end README
        });
        List<String> lines = out.lines().toList();
        assertEquals(4, lines.size(), out);
        assertEquals("true", lines.get(0));
        assertTrue(lines.get(1).startsWith("gradient check passed: worst input x"), lines.get(1));
        assertEquals("true", lines.get(2));
        assertTrue(lines.get(3).startsWith("cannot check input x0: finite differences are unreliable there:"
                + " slopes left 0 and right 1 (a kink"), lines.get(3));
    }

    @Test
    void readmeShowsExactlyTheseExamples() throws IOException {
        Path self = Path.of("src", "test", "java", "io", "github", "jgrad", "autodiff", "ReadmeExampleTest.java");
        List<List<String>> inReadme = blocksAfterMark(Docs.lines());
        List<List<String>> inTest = regions(Files.readAllLines(self));
        assertFalse(inReadme.isEmpty(), "README has no tested examples");
        assertEquals(inTest, inReadme, "README examples differ from ReadmeExampleTest");
    }

    private static List<List<String>> blocksAfterMark(List<String> lines) {
        List<List<String>> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals(MARK)) {
                List<String> block = new ArrayList<>();
                int j = i + 2; // skip the ```java fence
                for (; !lines.get(j).trim().equals("```"); j++) {
                    block.add(lines.get(j).strip());
                }
                blocks.add(block);
                i = j;
            }
        }
        return blocks;
    }

    private static List<String> blockAfter(List<String> lines, String mark) {
        int i = lines.indexOf(mark);
        assertTrue(i >= 0, "README has no line " + mark);
        List<String> block = new ArrayList<>();
        for (int j = i + 2; !lines.get(j).equals("```"); j++) { // skip the opening fence
            block.add(lines.get(j));
        }
        return block;
    }

    private static List<List<String>> regions(List<String> lines) {
        List<List<String>> regions = new ArrayList<>();
        List<String> current = null;
        for (String line : lines) {
            String t = line.strip();
            if (t.equals("// begin README")) {
                current = new ArrayList<>();
            } else if (t.equals("// end README")) {
                regions.add(current);
                current = null;
            } else if (current != null) {
                current.add(t);
            }
        }
        return regions;
    }

    private static String capture(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
