package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files as MNIST ships them, written here byte by byte: every type, plain and gzip, and bad ones. */
class IdxTest {
    @TempDir
    Path dir;

    /** An IDX file: header for {@code type} and {@code shape}, then {@code data} as given. */
    private static byte[] idx(int type, int[] shape, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * shape.length + data.length).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) shape.length);
        for (int d : shape) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    private Path write(String name, byte[] bytes, boolean gzip) throws IOException {
        Path f = dir.resolve(name);
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(f)) : Files.newOutputStream(f)) {
            out.write(bytes);
        }
        return f;
    }

    @Test
    void everyTypeConvertsExactlyFromBigEndian() throws IOException {
        double[] expected = {-3, 0, 1, 127};
        ByteBuffer i16 = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer i32 = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer f32 = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer f64 = ByteBuffer.allocate(32).order(ByteOrder.BIG_ENDIAN);
        for (double v : expected) {
            i16.putShort((short) v);
            i32.putInt((int) v);
            f32.putFloat((float) v);
            f64.putDouble(v);
        }
        byte[] i8 = {-3, 0, 1, 127};
        Object[][] cases = {{0x09, i8}, {0x0B, i16.array()}, {0x0C, i32.array()}, {0x0D, f32.array()}, {0x0E, f64.array()}};
        for (boolean gzip : new boolean[] {false, true}) {
            for (Object[] c : cases) {
                Path f = write("t" + c[0] + gzip, idx((int) c[0], new int[] {2, 2}, (byte[]) c[1]), gzip);
                Tensor t = Idx.load(f);
                assertArrayEquals(new int[] {2, 2}, t.shape(), f.toString());
                assertArrayEquals(expected, t.toArray(), 0, f.toString());
            }
        }
        Tensor u8 = Idx.load(write("u8", idx(0x08, new int[] {4}, new byte[] {(byte) 255, 0, (byte) 128, 7}), false));
        assertArrayEquals(new double[] {255, 0, 128, 7}, u8.toArray(), 0);
        assertEquals(0.1f, Idx.load(write("f", idx(0x0D, new int[] {1},
                ByteBuffer.allocate(4).putFloat(0.1f).array()), false)).item(), 0, "float32 kept exactly");
    }

    @Test
    void mnistShapedImagesAndLabels() throws IOException {
        byte[] pixels = new byte[3 * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i % 256);
        }
        Tensor images = Idx.load(write("train-images-idx3-ubyte.gz", idx(0x08, new int[] {3, 28, 28}, pixels), true));
        assertArrayEquals(new int[] {3, 28, 28}, images.shape());
        assertEquals((2 * 784 + 27 * 28 + 5) % 256, images.get(2, 27, 5));
        Tensor labels = Idx.load(write("labels", idx(0x08, new int[] {3}, new byte[] {7, 2, 1}), false));
        assertArrayEquals(new double[] {7, 2, 1}, labels.toArray(), 0);
    }

    private void fails(Path f, String... parts) {
        IOException e = assertThrows(IOException.class, () -> Idx.load(f, 1 << 20));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    @Test
    void badFilesAreIoExceptionsNamingTheFile() throws IOException {
        byte[] good = idx(0x08, new int[] {2, 3}, new byte[6]);
        fails(write("short", Arrays.copyOf(good, good.length - 1), false), "short: truncated", "needs 6 bytes of data, the"
                + " file has 5");
        fails(write("short.gz", Arrays.copyOf(good, good.length - 1), true), "short.gz: truncated: the data ends after 5"
                + " of 6 bytes");
        fails(write("long", Arrays.copyOf(good, good.length + 1), false), "long: shape (2, 3) of 1-byte items needs 6"
                + " bytes of data, but 7 follow");
        fails(write("long.gz", Arrays.copyOf(good, good.length + 1), true), "long.gz: more data follows the 6 elements");
        fails(write("type", idx(0x0A, new int[] {1}, new byte[1]), false), "type: unknown IDX type 0xa");
        fails(write("text", "hello world".getBytes(), false), "text: not an IDX file");
        fails(write("dims", Arrays.copyOf(good, 9), false), "dims: truncated: the file ends inside the 2 dimensions");
        fails(write("neg", idx(0x08, new int[] {-1}, new byte[0]), false), "neg: dimension 0 is 4294967295");
        fails(write("huge", idx(0x08, new int[] {65536, 65536}, new byte[0]), false), "more elements than a tensor holds");
        // a small compressed file claiming a large array is refused before anything is allocated
        ByteArrayOutputStream zeros = new ByteArrayOutputStream();
        zeros.write(idx(0x08, new int[] {1 << 20}, new byte[1 << 20]));
        fails(write("bomb.gz", zeros.toByteArray(), true), "bomb.gz: shape (1048576) of 1-byte items would take 8388608"
                + " bytes as a tensor, over the limit of 1048576");
        assertThrows(IllegalArgumentException.class, () -> Idx.load(dir.resolve("short"), -1));
        // a gzip file cut short, and one with a corrupt deflate stream: errors that name the file
        byte[] gz = Files.readAllBytes(write("whole.gz", idx(0x08, new int[] {1000}, new byte[1000]), true));
        fails(write("cut.gz", Arrays.copyOf(gz, gz.length - 12), false), "cut.gz: cannot read (corrupt or truncated gzip"
                + " data)");
        byte[] corrupt = gz.clone();
        corrupt[12] ^= (byte) 0xff;
        fails(write("corrupt.gz", corrupt, false), "corrupt.gz: ");
    }
}
