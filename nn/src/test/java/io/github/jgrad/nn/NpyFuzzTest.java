package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The .npy and .npz readers (files and streams) under a coverage-guided fuzzer (Jazzer): any bytes give a tensor or an
 * {@link IOException}, never another exception, a hang or memory beyond the limit.
 *
 * <p>A plain {@code mvn verify} runs the seeds in {@code NpyFuzzTestInputs/} (files numpy wrote, and
 * any input the fuzzer ever found failing) as regression tests. To fuzz, run
 * {@code JAZZER_FUZZ=1 mvn -pl nn -am verify -Dtest=NpyFuzzTest -Dsurefire.failIfNoSpecifiedTests=false};
 * {@code -Djazzer.max_duration=10m} fuzzes longer than the default below (see docs/contributing.md).
 */
class NpyFuzzTest {
    /** Small, so that a header claiming a large array is refused fast; larger than every seed. */
    private static final long LIMIT = 1 << 20;
    private static Path file;

    @FuzzTest(maxDuration = "30s")
    void anyBytesGiveATensorOrAnIOException(byte[] input) throws IOException {
        try {
            check(Npy.read(new ByteArrayInputStream(input), LIMIT), LIMIT / 8);
        } catch (IOException expected) {
            // a malformed array, told as such
        }
        try {
            long elements = 0;
            for (Tensor t : Npz.read(new ByteArrayInputStream(input), LIMIT).values()) {
                elements += t.numel();
            }
            assertTrue(elements <= LIMIT / 8, elements + " elements from a stream of " + input.length + " bytes");
        } catch (IOException expected) {
            // as above
        }
        if (file == null) {
            file = Files.createTempFile("jgrad-fuzz", ".bin");
            file.toFile().deleteOnExit();
        }
        Files.write(file, input);
        try {
            check(Npy.load(file), input.length); // a file's data is there: at least one byte per element
        } catch (IOException expected) {
            // as above
        }
        try {
            long elements = 0;
            for (Tensor t : Npz.load(file, LIMIT).values()) {
                elements += t.numel();
            }
            assertTrue(elements <= LIMIT / 8 + input.length, elements + " elements from " + input.length + " bytes");
        } catch (IOException expected) {
            // as above
        }
    }

    private static void check(Tensor t, long maxElements) {
        assertTrue(t.numel() <= maxElements, t.numel() + " elements, at most " + maxElements + " expected");
    }
}
