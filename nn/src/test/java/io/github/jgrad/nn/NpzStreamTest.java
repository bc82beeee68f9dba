package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Npz.write and Npz.read: the bytes of a file, through streams (as the Spark trainer sends a model). */
class NpzStreamTest {
    private static Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.randn(new SplittableRandom(1), 3, 4));
        m.put("b", Tensor.scalar(-0.0));
        return m;
    }

    @Test
    void writeGivesTheBytesOfSaveAndReadGivesThemBack(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npz.write(out, tensors());
        out.write(42);                                                   // the caller's stream stays open
        Path f = dir.resolve("m.npz");
        Npz.save(f, tensors());
        byte[] archive = Files.readAllBytes(f);
        byte[] written = out.toByteArray();
        assertArrayEquals(archive, java.util.Arrays.copyOf(written, archive.length));
        assertEquals(archive.length + 1, written.length);
        Map<String, Tensor> back = Npz.read(new ByteArrayInputStream(archive), 1 << 20);
        assertEquals(List.of("w", "b"), List.copyOf(back.keySet()));
        assertArrayEquals(tensors().get("w").toArray(), back.get("w").toArray(), 0);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(back.get("b").item()));
        Map<String, Tensor> byDefault = Npz.read(new ByteArrayInputStream(archive)); // Npy.DEFAULT_MAX_BYTES
        assertArrayEquals(tensors().get("w").toArray(), byDefault.get("w").toArray(), 0);
    }

    @Test
    void aStreamIsHeldToTheLimitAndToItsCrc() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npz.write(out, tensors());
        byte[] bytes = out.toByteArray();
        IOException e = assertThrows(IOException.class, () -> Npz.read(new ByteArrayInputStream(bytes), 95));
        assertTrue(e.getMessage().startsWith("stream, entry 'w.npy': shape (3, 4) of dtype '<f8' would take 96 bytes"),
                e.getMessage());
        bytes[30 + "w.npy".length() + 128 + 8] ^= 1;                     // the second double of w
        e = assertThrows(IOException.class, () -> Npz.read(new ByteArrayInputStream(bytes), 1 << 20));
        assertTrue(e.getMessage().startsWith("stream, entry 'w.npy': corrupt: CRC-32 of the entry is"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Npz.write(new ByteArrayOutputStream(), Map.of("", Tensor.ones(1))));
        ByteArrayOutputStream named = new ByteArrayOutputStream();
        Npz.write(named, Map.of("w", Tensor.ones(1)));
        byte[] bad = named.toByteArray();
        bad[bad.length - 22 - "w.npy".length()] = (byte) 0xff;            // the directory's name of the entry: not UTF-8
        e = assertThrows(IOException.class, () -> Npz.read(new ByteArrayInputStream(bad), 1 << 20));
        assertTrue(e.getMessage().startsWith("stream: "), e.getMessage());
    }

    /** np.savez(stream, w=[1.5, -2.0], b=3.0) on a stream that cannot seek: entries with data descriptors. */
    private static final String NUMPY_UNSEEKABLE = "UEsDBC0ACAAAAAAAIQAAAAAA//////////8FABQAdy5ucHkBABAAAAAAAAAAAAAAAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxm"
            + "OCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg"
            + "ICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAA+D8AAAAAAAAAwFBLBwiwmMVBkAAAAAAAAACQAAAAAAAAAFBLAwQtAAgAAAAA"
            + "ACEAAAAAAP//////////BQAUAGIubnB5AQAQAAAAAAAAAAAAAAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJh"
            + "bl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg"
            + "ICAgICAgICAgICAgICAgCgAAAAAAAAhAUEsHCDn7jz+IAAAAAAAAAIgAAAAAAAAAUEsBAi0DLQAIAAAAAAAhALCYxUGQAAAAkAAAAAUA"
            + "AAAAAAAAAAAAAIABAAAAAHcubnB5UEsBAi0DLQAIAAAAAAAhADn7jz+IAAAAiAAAAAUAAAAAAAAAAAAAAIAB3wAAAGIubnB5UEsFBgAA"
            + "AAACAAIAZgAAALYBAAAAAA==";

    @Test
    void aStreamThatIsNotAWholeArchiveIsAnErrorNeverFewerArrays() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npz.write(out, tensors());
        byte[] archive = out.toByteArray();
        for (int cut = 0; cut < archive.length; cut++) { // empty, inside a header, between entries, in the directory
            byte[] part = java.util.Arrays.copyOf(archive, cut);
            IOException e = assertThrows(IOException.class, () -> Npz.read(new ByteArrayInputStream(part), 1 << 20),
                    "the archive's first " + cut + " of " + archive.length + " bytes");
            assertTrue(e.getMessage().startsWith("stream"), e.getMessage());
        }
        for (byte[] foreign : List.of("<html>502 Bad Gateway</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                new byte[100])) {
            IOException e = assertThrows(IOException.class, () -> Npz.read(new ByteArrayInputStream(foreign), 1 << 20));
            assertTrue(e.getMessage().startsWith("stream: not an .npz file"), e.getMessage());
        }
        byte[] tooLong = new byte[(int) Npz.STREAM_HEADROOM + 1];
        tooLong[0] = 'P'; // a zip archive's start, then more than it may hold
        tooLong[1] = 'K';
        tooLong[2] = 3;
        tooLong[3] = 4;
        IOException e = assertThrows(IOException.class, () -> Npz.read(new ByteArrayInputStream(tooLong), 0));
        assertTrue(e.getMessage().startsWith("stream: longer than maxBytes (0)"), e.getMessage());
    }

    @Test
    void readsWhatNumpyWritesToAStreamItCannotSeek() throws IOException {
        byte[] bytes = java.util.Base64.getDecoder().decode(NUMPY_UNSEEKABLE);
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        Map<String, Tensor> back = Npz.read(in, 1 << 20);
        assertEquals(List.of("w", "b"), List.copyOf(back.keySet()));
        assertArrayEquals(new double[] {1.5, -2.0}, back.get("w").toArray(), 0);
        assertEquals(3.0, back.get("b").item(), 0);
        assertEquals(0, in.available()); // read to its end
    }
}
