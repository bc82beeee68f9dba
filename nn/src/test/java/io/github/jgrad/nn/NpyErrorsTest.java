package io.github.jgrad.nn;

import static io.github.jgrad.nn.NpyGoldenTest.golden;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every malformed input is an IOException that names the file, the entry and the sizes involved. */
class NpyErrorsTest {
    @TempDir
    Path dir;

    /** A version 1.0 .npy file with this header dict (unpadded: the reader does not need padding). */
    static byte[] npy(String dict, byte[] data) {
        byte[] h = (dict + "\n").getBytes(ISO_8859_1);
        return ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h)
                .put(data).array();
    }

    static String f8(String shape) {
        return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** Asserts that {@code load} throws an IOException of {@code type} whose message has all parts. */
    private static IOException fails(Class<? extends IOException> type, Executable load, String... parts) {
        IOException e = assertThrows(type, load);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] bytes = Files.readAllBytes(golden("f8_2x3.npy"));
        bytes[1] = 'n';
        Path f = file("magic.npy", bytes);
        fails(IOException.class, () -> Npy.load(f), "magic.npy", "not a .npy file", "93 6e 55 4d 50 59 01 00");
        fails(IOException.class, () -> Npy.load(golden("model.npz")), "model.npz", "zip archive", "Npz.load");
    }

    @Test
    void unsupportedVersionAndAbsurdHeaderLength() throws IOException {
        byte[] bytes = Files.readAllBytes(golden("f8_2x3.npy"));
        bytes[6] = 4;
        Path v4 = file("v4.npy", bytes);
        fails(IOException.class, () -> Npy.load(v4), "v4.npy", "version 4.0", "1.0, 2.0, 3.0");
        byte[] v2 = Files.readAllBytes(golden("f8_v2_2x3.npy"));
        Arrays.fill(v2, 8, 12, (byte) 0xFF);
        Path huge = file("huge.npy", v2);
        fails(IOException.class, () -> Npy.load(huge), "huge.npy", "claims 4294967295 bytes");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 8, 9, 60, 127})
    void truncatedInTheHeader(int length) throws IOException {
        byte[] bytes = Arrays.copyOf(Files.readAllBytes(golden("f8_2x3x4.npy")), length);
        Path f = file("cut.npy", bytes);
        fails(EOFException.class, () -> Npy.load(f), "cut.npy", "truncated: only " + (length < 8 ? length : ""));
        fails(EOFException.class, () -> Npy.read(new ByteArrayInputStream(bytes)),
                length == 0 ? "stream: no data left" : "stream: truncated"); // an empty stream was read to its end
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 129, 200, 319})
    void truncatedInTheData(int length) throws IOException {
        byte[] bytes = Arrays.copyOf(Files.readAllBytes(golden("f8_2x3x4.npy")), length);
        Path f = file("cut.npy", bytes);
        fails(EOFException.class, () -> Npy.load(f), "cut.npy", "shape (2, 3, 4) of dtype '<f8' needs 192 bytes",
                "only " + (length - 128) + " follow the header");
        fails(EOFException.class, () -> Npy.read(new ByteArrayInputStream(bytes)),
                "data ends after " + (length - 128) + " of the 192 bytes that shape (2, 3, 4)");
    }

    @Test
    void moreDataThanTheShapeNeeds() throws IOException {
        byte[] bytes = Arrays.copyOf(Files.readAllBytes(golden("f8_2x3.npy")), 176 + 8);
        Path f = file("long.npy", bytes);
        fails(IOException.class, () -> Npy.load(f), "long.npy", "shape (2, 3) of dtype '<f8' needs 48 bytes",
                "but 56 follow the header");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{'descr': '<f8', 'fortran_order': Fals, 'shape': (2, 3), }|expected True or False",
        "{'descr': '<f8', 'fortran_order': False, }|missing key 'shape'",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}|unexpected key 'extra'",
        "{'descr': '<f8, 'fortran_order': False, 'shape': (2, 3), }|expected ',' or '}' at character 17",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, a), }|expected an integer in the shape",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2 3), }|expected ',' or ')'",
        "{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3), }|expected ',' or '}'",
        "{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3], }|expected '('",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } x|unexpected text after the dict",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), |expected a string",
        "['descr', '<f8']|expected '{'",
        "|expected '{'",
    })
    void corruptHeader(String headerAndProblem) throws IOException {
        String[] parts = headerAndProblem.split("\\|");
        Path f = file("corrupt.npy", npy(parts[0], new byte[48]));
        fails(IOException.class, () -> Npy.load(f), "corrupt.npy: corrupt .npy header: " + parts[1], "at character");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "(-1,)|dimension -1 is negative",
        "(2, -3)|invalid shape (2, -3)",
        "(2147483648,)|dimension 2147483648 exceeds 2147483647",
        "(99999999999999999999999, 1)|dimension 99999999999999999999999 exceeds 2147483647",
        "(2147483647, 2147483647)|shape (2147483647, 2147483647) has more than 2147483639 elements",
        "(65536, 65536, 65536, 65536)|shape (65536, 65536, 65536, 65536) has more than",
        "(100000, 100000)|shape (100000, 100000) has more than",
    })
    void absurdShape(String shapeAndProblem) throws IOException {
        String[] parts = shapeAndProblem.split("\\|");
        Path f = file("absurd.npy", npy(f8(parts[0]), new byte[16]));
        fails(IOException.class, () -> Npy.load(f), "absurd.npy: ", parts[1]);
    }

    @Test
    void hugeShapeWithLittleDataFailsOnTheDataNotOnMemory() throws IOException {
        byte[] bytes = npy(f8("(2147483639,)"), new byte[16]); // the largest tensor: 16 GiB of data claimed
        Path f = file("big.npy", bytes);
        fails(EOFException.class, () -> Npy.load(f), "big.npy", "needs 17179869112 bytes", "only 16 follow");
        fails(IOException.class, () -> Npy.read(new ByteArrayInputStream(bytes)), // a stream: the claim is limited
                "stream: shape (2147483639,) of dtype '<f8' would take 17179869112 bytes as a tensor, over the 1073741824");
        // without a limit the tensor is allocated: 16 GiB is more than the test's heap (or the data ends)
        fails(IOException.class, () -> Npy.read(new ByteArrayInputStream(bytes), Long.MAX_VALUE),
                "stream: shape (2147483639,) of dtype '<f8' ");
        byte[] zeros = npy(f8("(2147483647, 2147483647, 0)"), new byte[0]); // no elements: fine
        assertEquals(0, Npy.read(new ByteArrayInputStream(zeros)).size());
    }

    @Test
    void deflatedEntryClaimingMoreThanDeflateCanProduceIsRefusedAtOnce() throws IOException {
        Path f = dir.resolve("bomb.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new ZipEntry("w.npy")); // deflated
            zip.write(npy(f8("(500000000,)"), new byte[16])); // claims 4 GB of data, holds 16 bytes
        }
        byte[] bytes = Files.readAllBytes(f);
        int cen = indexOf(bytes, new byte[] {0x50, 0x4b, 0x01, 0x02});
        long claimed = npy(f8("(500000000,)"), new byte[0]).length + 4_000_000_000L;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(cen + 24, (int) claimed); // uncompressed size
        Files.write(f, bytes);
        fails(IOException.class, () -> Npz.load(f, Long.MAX_VALUE), "bomb.npz, entry 'w.npy'",
                "claims " + claimed + " bytes from", "more than deflate can produce");
    }

    @Test
    void nonZipNpz() throws IOException {
        Path text = Files.writeString(dir.resolve("text.npz"), "not a zip file at all");
        fails(IOException.class, () -> Npz.load(text), "text.npz", "not an .npz file");
        Path comment = dir.resolve("comment.npz");
        Npz.save(comment, java.util.Map.of("w", Tensor.ones(2)));
        byte[] bytes = Files.readAllBytes(comment);
        bytes[bytes.length - 1] = 0x5b; // the end record's comment length: 23296 bytes that are not there
        Files.write(comment, bytes);
        fails(IOException.class, () -> Npz.load(comment), "comment.npz", "not an .npz file"); // ZipFile: EOFException
        Path npy = Files.copy(golden("f8_2x3.npy"), dir.resolve("array.npz"));
        fails(IOException.class, () -> Npz.load(npy), "array.npz", "not an .npz file");
        byte[] whole = Files.readAllBytes(golden("model.npz"));
        Path cut = file("cut.npz", Arrays.copyOf(whole, whole.length - 30));
        fails(IOException.class, () -> Npz.load(cut), "cut.npz", "not an .npz file (a zip archive of .npy arrays), or truncated");
    }

    @Test
    void oddArchives() {
        fails(IOException.class, () -> Npz.load(golden("duplicate.npz")), "duplicate.npz, entry 'w.npy'", "two entries");
        fails(IOException.class, () -> Npz.load(golden("not_npy_entry.npz")), "not_npy_entry.npz, entry 'notes.txt'",
                "not a .npy array");
    }

    @Test
    void corruptByteInAStoredEntryFailsTheCrc() throws IOException {
        byte[] bytes = Files.readAllBytes(golden("model.npz"));
        byte[] eighth = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.125).array();
        int at = indexOf(bytes, eighth); // weights[0][1], in the first entry
        bytes[at + 7] ^= 1;
        Path f = file("flipped.npz", bytes);
        fails(IOException.class, () -> Npz.load(f), "flipped.npz, entry 'weights.npy'", "CRC-32");
    }

    @Test
    void aNameFlippedInTheDirectoryIsRefusedNotRenamed() throws IOException { // numpy refuses it; jgrad renamed
        Path saved = dir.resolve("names.npz");
        Npz.save(saved, java.util.Map.of("w", Tensor.ones(2)));
        byte[] bytes = Files.readAllBytes(saved);
        int central = indexOf(bytes, new byte[] {0x50, 0x4b, 0x01, 0x02});
        assertEquals('w', bytes[central + 46]);
        bytes[central + 46] = 'v';                                      // the directory's copy of the name only
        Path f = file("renamed.npz", bytes);
        fails(IOException.class, () -> Npz.load(f), "renamed.npz: corrupt: the directory lists an entry 'v.npy'"
                + " whose own header names 'w.npy'");
        assertEquals(java.util.List.of("w"), java.util.List.copyOf(Npz.load(saved).keySet()));
        // a directory that keeps the local header's offset in a zip64 field is followed there
        byte[] npy = NpyGoldenTest.npyBytes(Tensor.ones(2));
        byte[] name = "w.npy".getBytes(ISO_8859_1);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(npy);
        ByteBuffer zip = ByteBuffer.allocate(30 + name.length + npy.length + 46 + name.length + 12 + 22)
                .order(ByteOrder.LITTLE_ENDIAN);
        zip.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt((int) crc.getValue()).putInt(npy.length).putInt(npy.length).putShort((short) name.length)
                .putShort((short) 0).put(name).put(npy);
        int directory = zip.position();
        zip.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0)
                .putInt(0).putInt((int) crc.getValue()).putInt(npy.length).putInt(npy.length)
                .putShort((short) name.length).putShort((short) 12).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0).putInt(0).putInt(0xFFFFFFFF).put(name)
                .putShort((short) 1).putShort((short) 8).putLong(0);          // zip64: the offset, 0
        int size = zip.position() - directory;
        zip.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1)
                .putInt(size).putInt(directory).putShort((short) 0);
        Path zip64 = file("zip64.npz", zip.array());
        assertEquals(2, Npz.load(zip64).get("w").sum().item(), 0);
    }

    @Test
    void entryErrorsNameTheFileTheEntryAndTheSizes() throws IOException {
        Path f = dir.resolve("short.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new ZipEntry("ok.npy"));
            Npy.write(zip, Tensor.ones(2));
            zip.putNextEntry(new ZipEntry("w.npy"));
            zip.write(npy(f8("(3,)"), new byte[16])); // three elements declared, two present
            zip.closeEntry();
        }
        fails(EOFException.class, () -> Npz.load(f), "short.npz, entry 'w.npy'", "shape (3,) of dtype '<f8' needs 24 bytes",
                "only 16 follow");
    }

    @Test
    void theReadmesExampleMessage() throws IOException {
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        Npy.write(w, Tensor.zeros(3, 4));
        Path f = dir.resolve("model.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new ZipEntry("w.npy"));
            zip.write(w.toByteArray(), 0, 128 + 40);
        }
        IOException e = assertThrows(EOFException.class, () -> Npz.load(f));
        assertEquals(f + ", entry 'w.npy': shape (3, 4) of dtype '<f8' needs 96 bytes of data (12 x 8), but only 40"
                + " follow the header (truncated)", e.getMessage());
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("pattern not found");
    }

    @Test
    void aStreamOfArraysEndsWithNoDataLeftNotATruncation() throws IOException { // a probe's: both said "truncated"
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, Tensor.of(new double[] {1, 2}));
        Npy.write(out, Tensor.of(new double[] {3}));
        byte[] two = out.toByteArray();
        ByteArrayInputStream in = new ByteArrayInputStream(two);
        assertEquals(2, Npy.read(in).numel());
        assertEquals(3, Npy.read(in).item());
        assertEquals("stream: no data left: it ended where an array would begin",
                assertThrows(EOFException.class, () -> Npy.read(in)).getMessage());
        ByteArrayInputStream cut = new ByteArrayInputStream(Arrays.copyOf(two, 3)); // cut inside the magic string
        assertEquals("stream: truncated: only 3 of the 8 bytes of the .npy magic string and version",
                assertThrows(EOFException.class, () -> Npy.read(cut)).getMessage());
    }
}
