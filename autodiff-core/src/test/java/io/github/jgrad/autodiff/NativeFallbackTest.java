package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.internal.MatMul;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without OpenBLAS's native binaries, products fall back to the Java kernel and the library says so
 * once, through System.Logger; with them it prints nothing at all. Each case runs in a fresh JVM.
 */
class NativeFallbackTest {
    /** Run in the fresh JVM: a product large enough for the native kernel, twice; prints the kernel used. */
    static final class Product {
        public static void main(String[] args) {
            for (int i = 0; i < 2; i++) {
                Tensor.randn(new SplittableRandom(1), 64, 64).matmul(Tensor.randn(new SplittableRandom(2), 64, 64)).sum().item();
            }
            System.out.println(MatMul.kernel());
        }
    }

    private static String[] run(boolean natives) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> kept = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (natives || !entry.matches(".*-(linux|macosx|windows)-[a-z0-9_]+\\.jar")) { // a classifier's binaries
                kept.add(entry);
            }
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (Runtime.version().feature() >= 24) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of("-cp", String.join(File.pathSeparator, kept), Product.class.getName()));
        Process p = new ProcessBuilder(command).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        return new String[] {out.strip(), err};
    }

    @Test
    void withoutTheBinariesTheFallbackIsLoggedOnce() throws Exception {
        String[] r = run(false);
        assertEquals("java", r[0]);
        assertEquals(1, r[1].split("native OpenBLAS did not load", -1).length - 1, r[1]);
        assertTrue(r[1].contains("WARNING"), r[1]);
    }

    @Test
    void withTheBinariesNothingIsPrinted() throws Exception {
        String[] r = run(true);
        assertEquals("openblas", r[0]);
        assertEquals("", r[1]);
    }
}
