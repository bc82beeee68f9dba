package io.github.jgrad.nn;

import static io.github.jgrad.nn.NpyErrorsTest.indexOf;
import static io.github.jgrad.nn.NpyErrorsTest.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading stays within memory: a tensor is allocated once and filled in place, a claimed size that
 * is not yet verified (a compressed entry, a stream) is limited, and a tensor larger than the heap is
 * an IOException, not an OutOfMemoryError.
 */
class NpyLimitsTest {
    @TempDir
    Path dir;

    private static IOException fails(ThrowingLoad load, String... parts) {
        IOException e = assertThrows(IOException.class, load::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
        return e;
    }

    private interface ThrowingLoad {
        void run() throws IOException;
    }

    /** An archive of deflated entries, as np.savez_compressed writes them. */
    private Path compressed(String name, Map<String, Tensor> tensors) throws IOException {
        Path f = dir.resolve(name);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                Npy.write(zip, e.getValue());
            }
        }
        return f;
    }

    @Test
    void aDecompressionBombIsRefusedBeforeAnythingIsAllocated() throws IOException {
        // 128 MiB + 1 of uint8 zeros deflate to about 128 KB; as a tensor they would take over 1 GiB
        int n = (1 << 27) + 1;
        Path f = dir.resolve("bomb.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new ZipEntry("x.npy"));
            zip.write(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ",), }", new byte[0]));
            byte[] zeros = new byte[1 << 20];
            for (int left = n; left > 0; left -= zeros.length) {
                zip.write(zeros, 0, Math.min(left, zeros.length));
            }
        }
        assertTrue(Files.size(f) < 1 << 20, "the archive is small: " + Files.size(f));
        fails(() -> Npz.load(f), f + ", entry 'x.npy': shape (134217729,) of dtype '|u1' would take 1073741832 bytes",
                "over the 1073741824 bytes left of the limit", "pass a larger maxBytes");
    }

    @Test
    void theLimitCountsTheCompressedEntriesTogether() throws IOException {
        Map<String, Tensor> two = new LinkedHashMap<>();
        two.put("a", Tensor.arange(1000));
        two.put("b", Tensor.arange(1000).mul(2));
        Path f = compressed("two.npz", two);
        Map<String, Tensor> back = Npz.load(f, 16_000);                 // exactly the two tensors' 8 x 2000 bytes
        assertArrayEquals(two.get("b").toArray(), back.get("b").toArray(), 0);
        fails(() -> Npz.load(f, 15_999), "two.npz, entry 'b.npy'", "over the 7999 bytes left of the limit");
        fails(() -> Npz.load(f, 7_999), "two.npz, entry 'a.npy'", "over the 7999 bytes left");
    }

    @Test
    void storedEntriesAreInTheFileAndNotLimited() throws IOException {
        Path f = dir.resolve("stored.npz");
        Npz.save(f, Map.of("w", Tensor.arange(1000)));
        assertArrayEquals(Tensor.arange(1000).toArray(), Npz.load(f, 0).get("w").toArray(), 0);
    }

    @Test
    void storedEntriesMayNotClaimMoreThanTheFileHolds() throws IOException {
        Path f = dir.resolve("overlap.npz");
        Npz.save(f, Map.of("w", Tensor.arange(10)));
        byte[] bytes = Files.readAllBytes(f);
        int cen = indexOf(bytes, new byte[] {0x50, 0x4b, 0x01, 0x02});
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(cen + 20, bytes.length + 1).putInt(cen + 24, bytes.length + 1);  // compressed and uncompressed sizes
        Files.write(f, bytes);
        fails(() -> Npz.load(f), "overlap.npz, entry 'w.npy': corrupt: the stored entries claim");
    }

    @Test
    void aStreamIsLimitedToo() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, Tensor.arange(10));
        byte[] bytes = out.toByteArray();
        assertEquals(45, Npy.read(new ByteArrayInputStream(bytes), 80).sum().item());
        fails(() -> Npy.read(new ByteArrayInputStream(bytes), 79), "stream: shape (10,) of dtype '<f8' would take 80 bytes");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.read(new ByteArrayInputStream(bytes), -1));
        assertEquals("Npy.read: maxBytes must be >= 0, got -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Npz.load(dir.resolve("x.npz"), -2));
        assertEquals("Npz.load: maxBytes must be >= 0, got -2", e.getMessage());
    }

    @Test
    void compressionMethodsThatCannotBeReadAreNamed() throws IOException {
        for (int[] method : new int[][] {{12}, {14}, {93}}) {
            Path f = dir.resolve("m" + method[0] + ".npz");
            Npz.save(f, Map.of("w", Tensor.ones(3)));
            byte[] bytes = Files.readAllBytes(f);
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort(8, (short) method[0]);                           // the local header's method
            int cen = indexOf(bytes, new byte[] {0x50, 0x4b, 0x01, 0x02});
            b.putShort(cen + 10, (short) method[0]);                    // the central directory's
            Files.write(f, bytes);
            String name = method[0] == 12 ? "bzip2" : method[0] == 14 ? "LZMA" : "Zstandard";
            fails(() -> Npz.load(f), f + ", entry 'w.npy': compression method " + method[0] + " (" + name
                    + ") is not supported; only stored (np.savez) and deflated (np.savez_compressed) entries are");
        }
    }

    @Test
    void loadingNeedsTheTensorsMemoryOnlyAndTooLargeIsAnIOException() throws Exception {
        // a 128 MiB array loads in a 200 MiB heap, in C and in Fortran order, from .npy and .npz; a
        // 256 MiB one does not fit and fails with an IOException naming the heap. So in float32: 64 MiB
        // loads (read through doubles, it needed 192 MiB and threw OutOfMemoryError), 256 MiB is refused
        int side = 4096;
        Path c = dir.resolve("c.npy");
        Npy.save(c, Tensor.arange(side * side).reshape(side, side));
        Path fortran = writeFortran(dir.resolve("f.npy"), side, false);
        Path npz = dir.resolve("c.npz");
        Npz.save(npz, Map.of("x", Npy.load(c)));
        Path c32 = dir.resolve("c32.npy");
        Npy.save(c32, Tensor.arange(side * side).reshape(side, side).to(DType.FLOAT32));
        Path fortran32 = writeFortran(dir.resolve("f32.npy"), side, true);
        Path big = dir.resolve("big.npy");
        Npy.save(big, Tensor.zeros(2 * side * side));
        Path big32 = dir.resolve("big32.npy");
        Npy.save(big32, Tensor.zeros(DType.FLOAT32, 4 * side * side));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "-Xmx200m", "-cp", classPath, SmallHeap.class.getName(),
                c.toString(), fortran.toString(), npz.toString(), c32.toString(), fortran32.toString(), big.toString(),
                big32.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(List.of("c.npy ok", "f.npy ok", "c.npz ok", "c32.npy ok", "f32.npy ok", "big.npy: IOException, heap named",
                "big32.npy: IOException, heap named"),
                output.lines().filter(l -> l.endsWith(" ok") || l.contains("IOException")).toList(), output);
        assertEquals(0, p.exitValue(), output);
    }

    /** A side x side Fortran-order .npy of float64 or float32 whose element (i, j) is i * side + j (exact below 2^24). */
    private static Path writeFortran(Path file, int side, boolean float32) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
            out.write(npy("{'descr': '<f" + (float32 ? 4 : 8) + "', 'fortran_order': True, 'shape': (" + side + ", "
                    + side + "), }", new byte[0]));
            ByteBuffer column = ByteBuffer.allocate((float32 ? 4 : 8) * side).order(ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < side; j++) {
                column.clear();
                for (int i = 0; i < side; i++) {
                    if (float32) {
                        column.putFloat((float) i * side + j);
                    } else {
                        column.putDouble((double) i * side + j);
                    }
                }
                out.write(column.array());
            }
        }
        return file;
    }

    /** Run in a JVM with a 200 MiB heap by the test above. */
    static final class SmallHeap {
        /** Loads in a frame of its own, so that the tensor is garbage when the next one loads. */
        private static boolean loadsRight(Path f, boolean npz) throws IOException {
            int side = 4096;
            Tensor t = npz ? Npz.load(f).get("x") : Npy.load(f);
            return t.shape(0) == side && t.shape(1) == side && t.get(0, 1) == 1 && t.get(1, 0) == side
                    && t.get(side - 1, side - 2) == (double) side * side - 2;
        }

        public static void main(String[] args) throws IOException {
            for (int k = 0; k < 5; k++) {
                System.out.println(Path.of(args[k]).getFileName() + (loadsRight(Path.of(args[k]), k == 2) ? " ok" : " wrong"));
            }
            for (int k = 5; k < 7; k++) {
                String name = Path.of(args[k]).getFileName().toString();
                try {
                    Npy.load(Path.of(args[k]));
                    System.out.println(name + " loaded?");
                } catch (IOException e) {
                    System.out.println(name + ": IOException" + (e.getMessage().contains("-Xmx") ? ", heap named" : ""));
                }
            }
        }
    }
}
