package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's nn examples and checks that the README shows exactly this code: every block
 * after a {@code <!-- tested in NnReadmeTest -->} line must equal, line by line (ignoring
 * indentation), one region of this file between {@code // begin README} and {@code // end README}.
 * (autodiff-core's ReadmeExampleTest does the same for its own marker.)
 */
class NnReadmeTest {
    private static final String MARK = "<!-- tested in NnReadmeTest -->";

    @FunctionalInterface
    private interface Example {
        void run() throws IOException;
    }

    @Test
    void trainingExample(@TempDir Path dir) throws IOException {
        String out = capture(() -> {
            // begin README
            Tensor x = Tensor.uniform(new SplittableRandom(1), -1, 1, 256, 2); // 256 points in a square
            Tensor y = x.pow(2).sum(1, true).lt(0.5);                    // 1 inside the circle r^2 < 0.5
            Sequential model = Sequential.mlp(7, Activation.tanh(), 2, 16, 1);
            Adam adam = Adam.of(model.parameters(), 0.05);
            Trainer trainer = Trainer.of(model, adam,
                    (in, target) -> Loss.binaryCrossEntropyWithLogits(model.forward(in), target));
            List<Double> losses = trainer.fit(DataLoader.of(x, y, 32, true, 3), 200); // mean loss per epoch
            System.out.println(losses.get(199) < 0.1 * losses.get(0));   // true
            double accuracy = model.forward(x).gt(0).eq(y).mean().item();
            System.out.println(accuracy > 0.97);                          // true
            model.save(dir.resolve("circle.npz"));                        // np.load("circle.npz") reads it
            // end README
        });
        assertEquals(List.of("true", "true"), out.lines().toList());
    }

    @Test
    void float32Example(@TempDir Path dir) throws IOException {
        String out = capture(() -> {
            // begin README
            Tensor x = Tensor.uniform(new SplittableRandom(1), -1, 1, 256, 2).to(DType.FLOAT32); // float32 data
            Tensor y = x.pow(2).sum(1, true).lt(0.5);                    // float32 too: ops keep the dtype
            Sequential model = Sequential.mlp(7, Activation.tanh(), 2, 16, 1);
            model.to(DType.FLOAT32);                                     // the parameters (Adam's state follows them)
            Adam adam = Adam.of(model.parameters(), 0.05);               // its state: float32
            Trainer trainer = Trainer.of(model, adam,
                    (in, target) -> Loss.binaryCrossEntropyWithLogits(model.forward(in), target));
            trainer.fit(DataLoader.of(x, y, 32, true, 3), 200);
            System.out.println(model.forward(x).dtype());                // float32
            System.out.println(model.forward(x).gt(0).eq(y).mean().item() > 0.97); // true
            model.save(dir.resolve("circle32.npz"));                     // '<f4' arrays, as np.savez
            // end README
        });
        assertEquals(List.of("float32", "true"), out.lines().toList());
    }

    @Test
    void layerExample(@TempDir Path dir) throws IOException {
        String out = capture(() -> {
            // begin README
            final class Center extends Module {
                private final Tensor runningMean;
                private final double momentum;

                Center(int features, double momentum) {
                    this.runningMean = registerBuffer("running_mean", Tensor.zeros(features));
                    this.momentum = momentum;
                }

                @Override
                public Tensor forward(Tensor x) {
                    if (!isTraining()) {
                        return x.sub(runningMean);
                    }
                    Tensor mean = x.mean(0);
                    try (GradMode.Scope off = GradMode.disabled()) {  // state, not part of the graph
                        runningMean.copyFrom(runningMean.mul(1 - momentum).add(mean.mul(momentum)));
                    }
                    return x.sub(mean);
                }
            }
            Sequential model = Sequential.of(Linear.of(2, 8, 1), new Center(8, 0.1), Activation.tanh(), Linear.of(8, 1, 2));
            System.out.println(model.namedBuffers().keySet());   // [1.running_mean]
            System.out.println(model.parameters().size());       // 4: the two layers' weights and biases
            model.save(dir.resolve("centred.npz"));              // parameters, then buffers, named as in PyTorch
            // end README
        });
        assertEquals(List.of("[1.running_mean]", "4"), out.lines().toList());
        assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "1.running_mean"),
                List.copyOf(Npz.load(dir.resolve("centred.npz")).keySet()));
    }

    @Test
    void optimizerExample(@TempDir Path dir) throws IOException {
        String out = capture(() -> {
            // begin README
            final class RmsProp extends Optimizer {               // torch.optim.RMSprop, alpha 0.99, eps 1e-8
                private final Tensor[] squareAvg;

                RmsProp(List<Tensor> parameters, double lr) {
                    super(parameters, lr);
                    this.squareAvg = new Tensor[parameters().size()];  // one per parameter, as parameters() lists them
                }

                @Override
                protected void update(int i, Tensor p, Tensor grad) {
                    Tensor g2 = grad.mul(grad).mul(0.01);
                    if (squareAvg[i] == null) {
                        squareAvg[i] = g2;                              // step() keeps it past a Workspace scope
                    } else {
                        squareAvg[i].copyFrom(squareAvg[i].mul(0.99).add(g2)); // in place
                    }
                    p.addInPlace(-learningRate(), grad.div(squareAvg[i].sqrt().add(1e-8)));
                }

                @Override
                protected String kind() {
                    return "rmsprop";                                   // entries optimizer.rmsprop.NAME
                }

                @Override
                protected Map<String, Double> settings() {
                    return Map.of("alpha", 0.99, "eps", 1e-8);          // a checkpoint of others is refused
                }

                @Override
                protected Map<String, Tensor[]> buffers() {
                    return Map.of("square_avg", squareAvg);             // saved, and restored into, by checkpoints
                }
            }
            Tensor x = Tensor.uniform(new SplittableRandom(1), -1, 1, 64, 2);
            Tensor y = x.sum(1, true);                                  // learn a sum
            Sequential net = Sequential.mlp(3, Activation.tanh(), 2, 8, 1);
            Trainer trainer = Trainer.of(net, new RmsProp(net.parameters(), 0.01),
                    (in, target) -> Loss.mse(net.forward(in), target));
            List<Double> losses = trainer.fit(DataLoader.of(x, y, 16, true, 3), 50);
            System.out.println(losses.get(49) < 0.05 * losses.get(0)); // true
            trainer.save(dir.resolve("rms.npz"));                       // its state checkpointed, as Adam's
            System.out.println(Npz.load(dir.resolve("rms.npz")).keySet().contains("optimizer.rmsprop.square_avg.0")); // true
            // end README
        });
        assertEquals(List.of("true", "true"), out.lines().toList());
    }

    @Test
    void workspaceExample() throws IOException {
        Tensor x = Tensor.uniform(new SplittableRandom(1), -1, 1, 256, 2);
        int[] y = new int[256];
        for (int i = 0; i < y.length; i++) {
            y[i] = x.get(i, 0) * x.get(i, 1) > 0 ? 1 : 0;                // which diagonal quadrants
        }
        Sequential model = Sequential.mlp(7, Activation.tanh(), 2, 16, 2);
        Optimizer optimizer = Adam.of(model.parameters(), 0.05);
        String out = capture(() -> {
            // begin README
            Workspace workspace = Workspace.create();           // memory for one loop on one thread
            double first = 0;
            double last = 0;
            for (int step = 0; step < 300; step++) {
                try (Workspace.Scope scope = workspace.open()) { // computes in the last step's memory
                    optimizer.zeroGrad();
                    Tensor loss = Loss.crossEntropy(model.forward(x), y);
                    loss.backward();
                    optimizer.step();
                    last = loss.item();                         // read results inside the scope
                    first = step == 0 ? last : first;
                }                                               // here the step's tensors are reclaimed
            }
            System.out.println(last < 0.2 * first);             // true
            System.out.println(model.parameters().get(0).grad().shape().length);  // 2: gradients live on
            // end README
        });
        assertEquals(List.of("true", "2"), out.lines().toList());
    }

    @Test
    void checkpointExample(@TempDir Path dir) throws IOException {
        Tensor x = Tensor.uniform(new SplittableRandom(1), -1, 1, 200, 2);
        Tensor labels = x.pow(2).sum(1, false).lt(0.5);
        DataLoader train = DataLoader.of(x.slice(0, 0, 150), labels.slice(0, 0, 150), 25, true, 3);
        DataLoader heldOut = DataLoader.of(x.slice(0, 150, 200), labels.slice(0, 150, 200), 50, false, 0);
        Sequential model = Sequential.mlp(7, Activation.tanh(), 2, 16, 2);
        Adam adam = Adam.of(model.parameters(), 0.05);
        String out = capture(() -> {
            // begin README
            Trainer trainer = Trainer.of(model, adam, (in, target) -> Loss.crossEntropy(model.forward(in), target))
                    .validation(heldOut, Map.of("accuracy", Metric.accuracy(model)))   // val_loss, val_accuracy
                    .listen(Listener.earlyStopping("val_loss", Listener.Goal.MINIMIZE, 10))
                    .listen(Listener.bestCheckpoint(dir.resolve("best.npz"), "val_accuracy", Listener.Goal.MAXIMIZE))
                    .listen(Listener.csvLog(dir.resolve("log.csv")));                  // epoch,loss,val_loss,val_accuracy
            trainer.fit(train, 5);
            trainer.save(dir.resolve("run.npz"));                // model, optimizer state, epochs: atomic
            // later, in a new process: the same code builds the model, optimizer and trainer, then
            Trainer again = Trainer.of(model, adam, (in, target) -> Loss.crossEntropy(model.forward(in), target));
            again.resume(dir.resolve("run.npz")).fit(train, 5);  // epochs 6 to 10, as if never stopped
            System.out.println(again.epochs());                  // 10
            // end README
        });
        assertEquals(List.of("10"), out.lines().toList());
        assertEquals("epoch,loss,val_loss,val_accuracy", Files.readAllLines(dir.resolve("log.csv")).get(0));
    }

    @Test
    void saveLoadExample(@TempDir Path dir) throws IOException {
        String out = capture(() -> {
            // begin README
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("w", Tensor.randn(new SplittableRandom(42), 3, 4));
            params.put("b", Tensor.zeros(4));
            Path file = dir.resolve("model.npz");            // dir: any directory
            Npz.save(file, params);                          // atomic: the old file or the new one, never half
            Map<String, Tensor> loaded = Npz.load(file);     // in the order saved
            System.out.println(loaded.keySet());             // [w, b]
            System.out.println(loaded.get("w").sub(params.get("w")).abs().max().item());  // 0.0: every bit kept
            Npy.save(dir.resolve("w.npy"), params.get("w"));  // a single array
            System.out.println(Arrays.toString(Npy.load(dir.resolve("w.npy")).shape()));  // [3, 4]
            // end README
        });
        assertEquals(List.of("[w, b]", "0.0", "[3, 4]"), out.lines().toList());
    }

    @Test
    void readmeShowsExactlyTheseExamples() throws IOException {
        Path self = Path.of("src", "test", "java", "io", "github", "jgrad", "nn", "NnReadmeTest.java");
        List<List<String>> inReadme = blocksAfterMark(docLines());
        List<List<String>> inTest = regions(Files.readAllLines(self));
        assertFalse(inReadme.isEmpty(), "README has no examples marked " + MARK);
        assertEquals(inTest, inReadme, "README examples differ from NnReadmeTest");
    }

    /**
     * The README, then each document of docs/ in the order the README first links to it: the order
     * in which tested examples appear (autodiff-core's Docs reads them the same way).
     */
    private static List<String> docLines() throws IOException {
        List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
        List<String> all = new ArrayList<>(readme);
        java.util.Set<String> seen = new java.util.HashSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\]\\((docs/[a-z-]+\\.md)[)#]")
                .matcher(String.join("\n", readme));
        while (m.find()) {
            if (seen.add(m.group(1))) {
                all.addAll(Files.readAllLines(Path.of("..").resolve(m.group(1))));
            }
        }
        return all;
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

    private static String capture(Example example) throws IOException {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            example.run();
        } finally {
            System.setOut(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
