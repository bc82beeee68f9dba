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
        writer = pipe("npz2", Files.readAllBytes(dir.resolve("t.npz"))); // the user's own FileInputStream of a pipe
        try (java.io.FileInputStream in = new java.io.FileInputStream(dir.resolve("npz2").toFile())) {
            assertArrayEquals(t.toArray(), Npz.read(in).get("w").toArray(), 0); // a review's: "Illegal seek"
        }
        writer.get(10, TimeUnit.SECONDS);

        byte[] idx = {0, 0, 0x08, 1, 0, 0, 0, 3, 7, (byte) 200, 9};
        writer = pipe("idx", idx);
        assertArrayEquals(new double[] {7, 200, 9}, Idx.load(dir.resolve("idx")).toArray(), 0); // before: "the file has -16"
        writer.get(10, TimeUnit.SECONDS);

        // a large IDX file through a pipe, plain and gzip: a channel's stream asked the pipe for its
        // position once buffered or gzip readers asked what was left ("Illegal seek", a review found)
        int n = 300_000;
        byte[] big = new byte[8 + n];
        big[2] = 0x08;
        big[3] = 1;
        java.nio.ByteBuffer.wrap(big, 4, 4).putInt(n);
        for (int i = 0; i < n; i++) {
            big[8 + i] = (byte) (i * 7);
        }
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped)) {
            gz.write(big);
        }
        for (byte[] bytes : new byte[][] {big, zipped.toByteArray()}) {
            writer = pipe("idx" + bytes.length, bytes);
            double[] read = Idx.load(dir.resolve("idx" + bytes.length)).toArray();
            writer.get(10, TimeUnit.SECONDS);
            assertEquals(n, read.length);
            assertEquals((byte) (123_456 * 7) & 0xFF, read[123_456]);
        }
        Tensor large = Tensor.zeros(100_000).add(0.25); // 800 KB through a pipe
        Npy.save(file, large);
        writer = pipe("large", Files.readAllBytes(file));
        assertArrayEquals(large.toArray(), Npy.load(dir.resolve("large")).toArray(), 0);
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

    @Test
    void aStreamThatIsNoZipArchiveIsRefusedBeforeItIsCopied() throws IOException { // a review's: /dev/zero copied 1 GiB
        IOException e = assertThrows(IOException.class, () -> Npz.read(new java.io.InputStream() {
            @Override
            public int read() {
                return 0; // endless zeros, as /dev/zero: refused after its first four bytes
            }
        }));
        assertEquals("stream: not an .npz file (a zip archive of .npy arrays): it starts with bytes 00 00 00 00, not PK\\3\\4",
                e.getMessage());
        ByteArrayOutputStream npy = new ByteArrayOutputStream();
        Npy.write(npy, Tensor.of(new double[] {1}));
        e = assertThrows(IOException.class, () -> Npz.read(new java.io.ByteArrayInputStream(npy.toByteArray())));
        assertTrue(e.getMessage().endsWith("(it looks like an .npy array: use Npy)"), e.getMessage());
        e = assertThrows(IOException.class, () -> Npz.read(new java.io.ByteArrayInputStream(new byte[0])));
        assertEquals("stream: not an .npz file (a zip archive of .npy arrays): it is empty", e.getMessage());
        Path zero = Path.of("/dev/zero");
        if (Files.exists(zero)) {
            e = assertThrows(IOException.class, () -> Npz.load(zero));
            assertTrue(e.getMessage().startsWith("/dev/zero: not an .npz file"), e.getMessage());
        }
    }

    @Test
    void anInterruptedLoadNamesTheFile() throws IOException { // a probe's: ClosedByInterruptException, message null
        Path npy = dir.resolve("t.npy");
        Path npz = dir.resolve("t.npz");
        Npy.save(npy, Tensor.zeros(1000));
        Npz.save(npz, Map.of("a", Tensor.zeros(1000)));
        Path idx = dir.resolve("t.idx");
        Files.write(idx, new byte[] {0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9});
        for (Object[] c : new Object[][] {{npy, (Loader) Npy::load}, {npz, (Loader) Npz::load}, {idx, (Loader) Idx::load}}) {
            Thread.currentThread().interrupt(); // a channel read by an interrupted thread fails at once
            try {
                IOException e = assertThrows(IOException.class, () -> ((Loader) c[1]).from((Path) c[0]));
                assertTrue(e instanceof java.io.InterruptedIOException, e.toString());
                assertEquals(c[0] + ": the thread was interrupted while reading; nothing was loaded", e.getMessage());
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set");
            } finally {
                Thread.interrupted();
            }
        }
        // interrupted in the middle of the data (a review's: that said "cannot read: ClosedByInterruptException")
        byte[] bytes = Files.readAllBytes(npy);
        java.io.InputStream cut = new java.io.FilterInputStream(new java.io.ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (available() < bytes.length / 2) {
                    throw new java.nio.channels.ClosedByInterruptException(); // as a channel read by an interrupted thread
                }
                return super.read(b, off, Math.min(len, 100));
            }
        };
        IOException e = assertThrows(IOException.class, () -> Npy.read(cut));
        assertEquals("stream: the thread was interrupted while reading; nothing was loaded", e.getMessage());
        assertTrue(e instanceof java.io.InterruptedIOException, e.toString());
    }

}
