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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Npz.write and Npz.read: the bytes of a file, through streams (as the Spark trainer sends a model). */
class NpzStreamTest {
    private static Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.randn(1, 3, 4));
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
        assertTrue(e.getMessage().startsWith("stream, entry 'w.npy': ") && e.getMessage().contains("invalid entry CRC"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Npz.write(new ByteArrayOutputStream(), Map.of("", Tensor.ones(1))));
        ByteArrayOutputStream named = new ByteArrayOutputStream();
        Npz.write(named, Map.of("w", Tensor.ones(1)));
        byte[] bad = named.toByteArray();
        bad[30] = (byte) 0xff;                                           // the entry name's first byte: not UTF-8
        e = assertThrows(IOException.class, () -> Npz.read(new ByteArrayInputStream(bad), 1 << 20));
        assertTrue(e.getMessage().startsWith("stream: corrupt zip entry header"), e.getMessage()); // JDK 17 and 25 alike
    }
}
