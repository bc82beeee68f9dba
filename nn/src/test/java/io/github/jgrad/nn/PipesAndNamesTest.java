package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files the loaders meet outside the usual: a named pipe ({@code <(zcat ...)}, {@code /dev/stdin}),
 * whose size is 0 however much it holds; a directory; and zip entry names written without the UTF-8
 * flag, which Python's zipfile (and so np.load) reads as code page 437.
 */
class PipesAndNamesTest {
    @TempDir
    Path dir;

    /** A named pipe at {@code name} that a thread fills with {@code bytes} once a reader opens it. */
    private CompletableFuture<Void> pipe(String name, byte[] bytes) throws Exception {
        Path fifo = dir.resolve(name);
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            assumeTrue(false, "no mkfifo here: " + e);
            throw e;
        }
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
        return CompletableFuture.runAsync(() -> {
            try (OutputStream out = Files.newOutputStream(fifo)) { // blocks until the loader opens the pipe
                out.write(bytes);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void pipesAreReadAsStreams() throws Exception {
        Tensor t = Tensor.of(new double[] {1.5, -2, 3, 4.25, 5, 6}, 2, 3);
        Path file = dir.resolve("t.npy");
        Npy.save(file, t);
        // before: "needs 48 bytes ... but only 0 follow the header (truncated)", the pipe's size being 0
        CompletableFuture<Void> writer = pipe("npy", Files.readAllBytes(file));
        assertArrayEquals(t.toArray(), Npy.load(dir.resolve("npy")).toArray(), 0);
        writer.get(10, TimeUnit.SECONDS);

        Npz.save(dir.resolve("t.npz"), Map.of("w", t));
        writer = pipe("npz", Files.readAllBytes(dir.resolve("t.npz")));
        assertArrayEquals(t.toArray(), Npz.load(dir.resolve("npz")).get("w").toArray(), 0); // before: "zip file is empty"
        writer.get(10, TimeUnit.SECONDS);

        byte[] idx = {0, 0, 0x08, 1, 0, 0, 0, 3, 7, (byte) 200, 9};
        writer = pipe("idx", idx);
        assertArrayEquals(new double[] {7, 200, 9}, Idx.load(dir.resolve("idx")).toArray(), 0); // before: "the file has -16"
        writer.get(10, TimeUnit.SECONDS);

        // a pipe that holds more than its array is as wrong as such a file
        byte[] longer = Files.readAllBytes(file);
        longer = java.util.Arrays.copyOf(longer, longer.length + 1);
        writer = pipe("longer", longer);
        IOException e = assertThrows(IOException.class, () -> Npy.load(dir.resolve("longer")));
        assertTrue(e.getMessage().contains("longer: more data follows the array"), e.getMessage());
        writer.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aDirectoryIsNamedAsOne() {
        for (Loader load : new Loader[] {Npy::load, Npz::load, Idx::load}) {
            IOException e = assertThrows(IOException.class, () -> load.from(dir));
            assertEquals(dir + ": is a directory, not a file", e.getMessage());
        }
    }

    private interface Loader {
        Object from(Path file) throws IOException;
    }

    @Test
    void namesWithoutTheUtf8FlagAreCodePage437AsInPython() throws IOException {
        byte[] npy;
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        Npy.write(one, Tensor.of(new double[] {2, 3}, 2));
        npy = one.toByteArray();
        Path file = dir.resolve("cp437.npz");
        // ZipOutputStream with another charset writes names in it without the UTF-8 flag, as old zip tools do
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file), Charset.forName("IBM437"))) {
            zip.putNextEntry(new ZipEntry("\u00fc\u00e9.npy")); // bytes 0x81 0x82: not UTF-8
            zip.write(npy);
            zip.closeEntry();
        }
        // before: the whole archive refused, "invalid CEN header (bad entry name)"; np.load names it 'üé'
        Map<String, Tensor> read = Npz.load(file);
        assertEquals(java.util.Set.of("\u00fc\u00e9"), read.keySet());
        assertArrayEquals(new double[] {2, 3}, read.get("\u00fc\u00e9").toArray(), 0);
        // np.savez's names (the UTF-8 flag set) read as before
        Npz.save(file, Map.of("\u00fc\u00e9", Tensor.of(new double[] {4}, 1)));
        assertEquals(java.util.Set.of("\u00fc\u00e9"), Npz.load(file).keySet());
    }
}
