package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A save that fails midway leaves the previous file as it was and no temporary file behind. */
class AtomicSaveTest {
    @TempDir
    Path dir;

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path oldModel() throws IOException {
        Path file = dir.resolve("model.npz");
        Npz.save(file, Map.of("w", Tensor.full(new int[] {2, 2}, 7)));
        return file;
    }

    /** A map whose iteration fails at the second entry, after the first has been written. */
    private static Map<String, Tensor> failingAtSecondEntry() {
        return new AbstractMap<>() {
            @Override
            public Set<Entry<String, Tensor>> entrySet() {
                return new AbstractSet<>() {
                    @Override
                    public int size() {
                        return 2;
                    }

                    @Override
                    public Iterator<Entry<String, Tensor>> iterator() {
                        return new Iterator<>() {
                            private int i;

                            @Override
                            public boolean hasNext() {
                                return i < 2;
                            }

                            @Override
                            public Entry<String, Tensor> next() {
                                if (i++ == 0) {
                                    return Map.entry("first", Tensor.ones(100_000)); // 800 kB, past any buffer
                                }
                                throw new IllegalStateException("second tensor unavailable");
                            }
                        };
                    }
                };
            }
        };
    }

    @Test
    void npzSaveFailingAtTheSecondEntryKeepsTheOldFile() throws IOException {
        Path file = oldModel();
        byte[] before = Files.readAllBytes(file);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Npz.save(file, failingAtSecondEntry()));
        assertEquals("second tensor unavailable", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of("model.npz"), listing());
        NpyGoldenTest.assertSame(Tensor.full(new int[] {2, 2}, 7), Npz.load(file).get("w"), "old content");
    }

    @Test
    void npzSaveWithABadSecondNameOrTensorKeepsTheOldFile() throws IOException {
        Path file = oldModel();
        byte[] before = Files.readAllBytes(file);
        for (String bad : new String[] {"", null, "nullTensor"}) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("first", Tensor.ones(100_000));
            m.put(bad, bad == null || bad.isEmpty() ? Tensor.ones(1) : null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npz.save(file, m));
            assertTrue(e.getMessage().startsWith(file + ": cannot save"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file), "after name " + bad);
            assertEquals(List.of("model.npz"), listing(), "after name " + bad);
        }
    }

    @Test
    void contentThatThrowsMidwayKeepsTheOldFile() throws IOException {
        Path file = dir.resolve("w.npy");
        Npy.save(file, Tensor.scalar(1));
        byte[] before = Files.readAllBytes(file);
        for (Exception failure : new Exception[] {new IOException("disk full"), new IllegalStateException("bug")}) {
            Exception e = assertThrows(failure.getClass(), () -> AtomicFiles.write(file, out -> {
                out.write(new byte[300_000]);
                if (failure instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) failure;
            }));
            if (failure instanceof IOException) { // an I/O error is told with the file it failed to save
                assertEquals(file + ": cannot save: java.io.IOException: disk full", e.getMessage());
                assertEquals(failure, e.getCause());
            } else {
                assertEquals(failure, e);
            }
            assertArrayEquals(before, Files.readAllBytes(file));
            assertEquals(List.of("w.npy"), listing());
        }
    }

    @Test
    void aLoadDuringAtomicSavesSeesTheOldOrTheNewFileNeverACorruptOne() throws Exception { // a probe's case
        // Npz.load took the size of the path after opening the file: a save replacing it in between
        // made a whole archive look "corrupt: the stored entries claim ... more than the archive's"
        Path file = dir.resolve("shared.npz");
        Map<String, Tensor> small = Map.of("a", Tensor.full(new int[] {8}, 1));
        Map<String, Tensor> large = new LinkedHashMap<>(small);
        large.put("extra", Tensor.full(new int[] {40}, 2));
        Npz.save(file, small);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            try {
                for (int k = 0; !done.get(); k++) {
                    Npz.save(file, k % 2 == 0 ? large : small);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        try {
            long end = System.nanoTime() + 1_500_000_000L;
            for (int loads = 0; loads < 3000 && System.nanoTime() < end; loads++) {
                Map<String, Tensor> read = Npz.load(file);
                assertEquals(1, read.get("a").get(0), 0);
                assertTrue(read.size() == 1 || read.get("extra").get(39) == 2, read.keySet().toString());
            }
        } finally {
            done.set(true);
            writer.join();
        }
    }

    @Test
    void failedFirstSaveLeavesNothing() throws IOException {
        assertThrows(IllegalStateException.class, () -> Npz.save(dir.resolve("new.npz"), failingAtSecondEntry()));
        assertEquals(List.of(), listing());
    }

    @Test
    void writesATemporaryFileInTheSameDirectoryThenRenames() throws IOException {
        Path file = dir.resolve("model.npz");
        AtomicFiles.write(file, out -> {
            List<String> during = listing();
            assertEquals(1, during.size());
            assertTrue(during.get(0).startsWith(".model.npz.") && during.get(0).endsWith(".tmp"), during.get(0));
            out.write(42);
            out.close(); // content may close its stream; the data is still forced and renamed
        });
        assertArrayEquals(new byte[] {42}, Files.readAllBytes(file));
        assertEquals(List.of("model.npz"), listing());
    }

    @Test
    void saveReplacesTheOldContent() throws IOException {
        Path file = dir.resolve("w.npy");
        Npy.save(file, Tensor.ones(1000));
        Npy.save(file, Tensor.scalar(2));
        NpyGoldenTest.assertSame(Tensor.scalar(2), Npy.load(file), "new content");
        assertEquals(List.of("w.npy"), listing());
    }

    @Test
    void unsaveableTensorsAndTargetsFailBeforeTouchingAnything() throws IOException {
        Tensor tooManyDims = Tensor.zeros(new int[65]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.save(dir.resolve("x.npy"), tooManyDims));
        assertEquals(dir.resolve("x.npy") + ": cannot save a tensor of 65 dimensions: NumPy arrays have at most 64",
                e.getMessage());
        Path file = oldModel();
        byte[] before = Files.readAllBytes(file);
        e = assertThrows(IllegalArgumentException.class, () -> Npz.save(file, Map.of("x", tooManyDims)));
        assertEquals(file + ": cannot save the tensor named 'x' of 65 dimensions: NumPy arrays have at most 64",
                e.getMessage());
        String longName = "w".repeat(70_000);
        e = assertThrows(IllegalArgumentException.class, () -> Npz.save(file, Map.of(longName, Tensor.ones(1))));
        assertEquals(file + ": cannot save the tensor named 'wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww...' (70000"
                + " characters): a zip entry's name holds at most 65535 bytes of UTF-8, \".npy\" included", e.getMessage());
        // a lone surrogate threw ZipOutputStream's "malformed input off : 1" with the file open; a NUL saved a
        // name np.load cuts short
        e = assertThrows(IllegalArgumentException.class, () -> Npz.save(file, Map.of("a\uD800", Tensor.ones(1))));
        assertTrue(e.getMessage().startsWith(file + ": cannot save the tensor named 'a?': it holds a lone surrogate"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Npz.save(file, Map.of("a\0b", Tensor.ones(1))));
        assertTrue(e.getMessage().endsWith("it holds a NUL character, where np.load cuts names short"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));

        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> Npy.save(dir.resolve("no/such/dir/x.npy"), Tensor.ones(1)));
        assertTrue(missing.getMessage().contains("no such directory"), missing.getMessage());
        Files.createDirectory(dir.resolve("sub"));
        IOException isDir = assertThrows(IOException.class, () -> Npy.save(dir.resolve("sub"), Tensor.ones(1)));
        assertTrue(isDir.getMessage().contains("is a directory"), isDir.getMessage());
        IOException root = assertThrows(IOException.class, () -> Npy.save(dir.getRoot(), Tensor.ones(1)));
        assertEquals("/: cannot save: is a directory", root.getMessage(), "not 'no such directory null'");
        assertEquals(List.of("model.npz", "sub"), listing());
        assertFalse(Files.exists(dir.resolve("x.npy")));
    }

    @Test
    void emptyArchive() throws IOException {
        Path file = dir.resolve("empty.npz");
        Npz.save(file, Map.of());
        assertTrue(Npz.load(file).isEmpty());
    }

    @Test
    void aLongNameInAMultibyteScriptSavesWhereTheFileSystemAcceptsIt() throws IOException {
        // 80 CJK characters + ".npy" = 244 bytes in UTF-8, under the usual 255-byte limit; the
        // temporary name (cut to 100 characters once) was 265 bytes and the save failed
        Path file = dir.resolve("\u6a21".repeat(80) + ".npy");
        Npy.save(file, Tensor.scalar(1.5));
        assertEquals(1.5, Npy.load(file).item());
        assertEquals(List.of(file.getFileName().toString()), listing());
    }

    @Test
    void temporaryNamesAreCutBetweenCodePointsWithinTheByteBudget() {
        assertEquals("abc", AtomicFiles.prefix("abc", 100));
        assertEquals("ab", AtomicFiles.prefix("abc", 2));
        assertEquals("\u6a21", AtomicFiles.prefix("\u6a21\u6a21", 5));               // 3 bytes each
        assertEquals("a", AtomicFiles.prefix("a\uD83D\uDE00", 4));                   // the emoji needs 4 more
        assertEquals("a\uD83D\uDE00", AtomicFiles.prefix("a\uD83D\uDE00b", 5));    // never half a pair
    }
}
