package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads the files numpy wrote (src/test/resources/.../golden, made by make_golden.py, whose values
 * this test repeats) and checks that jgrad writes numpy's exact bytes.
 */
class NpyGoldenTest {
    @TempDir
    Path dir;

    /** The float64 files of make_golden.py, built here independently of any reading. */
    private static final Map<String, Tensor> F8 = new LinkedHashMap<>();

    static {
        F8.put("f8_scalar.npy", Tensor.scalar(3.5));
        F8.put("f8_1d.npy", Tensor.of(new double[] {1.5, -2.25, 1e300, Double.MIN_VALUE, 0.1}));
        F8.put("f8_2x3.npy", Tensor.of(ramp(6, 0.25, -0.5), 2, 3));
        F8.put("f8_2x3x4.npy", Tensor.of(ramp(24, 0.125, 0), 2, 3, 4));
        F8.put("f8_empty_0x3.npy", Tensor.zeros(0, 3));
        F8.put("f8_empty_1000000x0.npy", Tensor.zeros(1000000, 0));
        F8.put("f8_pad64.npy", Tensor.zeros(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100000));
        F8.put("f8_special.npy", Tensor.of(new double[] {Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, -0.0, 0.0, Double.MIN_NORMAL}));
    }

    static Path golden(String name) {
        try {
            return Path.of(NpyGoldenTest.class.getResource("golden/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code i * step + offset} for i in [0, n): exact in binary for the steps used here. */
    static double[] ramp(int n, double step, double offset) {
        return IntStream.range(0, n).mapToDouble(i -> i * step + offset).toArray();
    }

    /** Same shape and the same bits (so NaN, -0.0 and subnormals count). */
    static void assertSame(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        assertEquals(e.length, a.length, what + ": size");
        for (int i = 0; i < e.length; i++) {
            assertEquals(Double.doubleToRawLongBits(e[i]), Double.doubleToRawLongBits(a[i]),
                    what + ": element " + i + ": expected " + e[i] + ", got " + a[i]);
        }
    }

    static byte[] npyBytes(Tensor t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Npy.write(out, t);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Test
    void readsNumpysFloat64Files() throws IOException {
        for (Map.Entry<String, Tensor> e : F8.entrySet()) {
            assertSame(e.getValue(), Npy.load(golden(e.getKey())), e.getKey());
            try (InputStream in = Files.newInputStream(golden(e.getKey()))) {
                assertSame(e.getValue(), Npy.read(in), e.getKey() + " as a stream");
                assertEquals(-1, in.read(), "read consumes exactly the array");
            }
        }
    }

    @Test
    void writesNumpysBytes() throws IOException {
        for (Map.Entry<String, Tensor> e : F8.entrySet()) {
            byte[] numpy = Files.readAllBytes(golden(e.getKey()));
            assertArrayEquals(numpy, npyBytes(e.getValue()), e.getKey());
            Path mine = dir.resolve(e.getKey());
            Npy.save(mine, e.getValue());
            assertArrayEquals(numpy, Files.readAllBytes(mine), e.getKey() + " saved");
        }
        assertEquals(192, Files.size(golden("f8_pad64.npy")), "the header that numpy pads with 64 spaces");
    }

    @ParameterizedTest
    @ValueSource(strings = {"f8_fortran_2x3.npy", "f8_big_endian_2x3.npy", "f8_v2_2x3.npy", "f8_v3_2x3.npy"})
    void readsOtherLayoutsByteOrdersAndVersions(String name) throws IOException {
        assertSame(Tensor.of(ramp(6, 1, 0), 2, 3), Npy.load(golden(name)), name);
    }

    @Test
    void reordersFortranOrderIn3d() throws IOException {
        assertSame(Tensor.of(ramp(24, 1, 0), 2, 3, 4), Npy.load(golden("f8_fortran_2x3x4.npy")), "fortran 3-d");
    }

    @Test
    void convertsOtherDtypesExactly() throws IOException {
        Map<String, Tensor> expected = new LinkedHashMap<>();
        expected.put("f4_2x2.npy", Tensor.of(new double[] {0.1f, -1.5, 3.4028235e38f, Double.NaN}, 2, 2));
        expected.put("f4_big_endian.npy", Tensor.of(new double[] {1.25, -0.1f}));
        expected.put("i1.npy", Tensor.of(new double[] {-128, 127}));
        expected.put("u1.npy", Tensor.of(new double[] {0, 255}));
        expected.put("i2.npy", Tensor.of(new double[] {-32768, 32767}));
        expected.put("u2.npy", Tensor.of(new double[] {65535}));
        expected.put("i4.npy", Tensor.of(new double[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0}));
        expected.put("u4.npy", Tensor.of(new double[] {4294967295.0}));
        expected.put("i8.npy", Tensor.of(new double[] {-0x1p63, 0x1p62, -3, 0, 0x1p53}));
        expected.put("u8.npy", Tensor.of(new double[] {0x1p64 - 0x1p11, 7}));
        expected.put("b1.npy", Tensor.of(new double[] {1, 0, 1}));
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            assertSame(e.getValue(), Npy.load(golden(e.getKey())), e.getKey());
        }
        assertEquals(18446744073709549568.0, Npy.load(golden("u8.npy")).toArray()[0]);
        assertEquals(DType.FLOAT32, Npy.load(golden("f4_2x2.npy")).dtype(), "float32 loads as float32");
        assertEquals(DType.FLOAT32, Npy.load(golden("f4_big_endian.npy")).dtype());
        assertEquals(DType.FLOAT64, Npy.load(golden("i4.npy")).dtype(), "integers load as float64");
    }

    @Test
    void writesFloat32AsNumpysFloat32Bytes() throws IOException {
        Tensor t = Tensor.of(new float[] {0.1f, -1.5f, 3.4028235e38f, Float.NaN}, 2, 2);
        byte[] numpy = Files.readAllBytes(golden("f4_2x2.npy"));
        assertArrayEquals(numpy, npyBytes(t), "Npy.write");
        Path mine = dir.resolve("f4.npy");
        Npy.save(mine, t);
        assertArrayEquals(numpy, Files.readAllBytes(mine), "Npy.save");
        Path archive = dir.resolve("f4.npz");
        Npz.save(archive, Map.of("t", t));
        assertArrayEquals(numpy, entries(archive).get("t.npy"), "Npz.save");
        Tensor back = Npz.load(archive).get("t");
        assertEquals(DType.FLOAT32, back.dtype());
        assertArrayEquals(t.toFloatArray(), back.toFloatArray());
        // every bit comes back: a signalling NaN kept its payload but came back quiet (read through double)
        float[] nans = {Float.intBitsToFloat(0x7f800123), Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7fbfffff)};
        Npy.save(mine, Tensor.of(nans));
        float[] read = Npy.load(mine).toFloatArray();
        for (int i = 0; i < nans.length; i++) {
            assertEquals(Float.floatToRawIntBits(nans[i]), Float.floatToRawIntBits(read[i]), "NaN " + i);
        }
    }

    @Test
    void rejectsInexactIntegersAndUnsupportedDtypesByName() {
        assertMessage("i8_inexact.npy", "i8_inexact.npy", "int64 value 9007199254740993 at flat index 1", "2^53");
        assertMessage("c16.npy", "c16.npy", "unsupported dtype '<c16'", "shape (1,)", "float64, float32");
        assertMessage("f2.npy", "unsupported dtype '<f2'");
        assertMessage("structured.npy", "unsupported dtype: a structured dtype", "('a', '<f8')");
    }

    private static void assertMessage(String file, String... parts) {
        IOException e = assertThrows(IOException.class, () -> Npy.load(golden(file)));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    static Map<String, Tensor> model() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("weights", Tensor.of(ramp(12, 0.125, 0), 3, 4));
        m.put("bias", Tensor.of(new double[] {0.5, -0.5, 0.25, -0.25}));
        m.put("alpha", Tensor.scalar(0.01));
        m.put("empty", Tensor.zeros(0, 3));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"model.npz", "model_compressed.npz"})
    void loadsSavezAndSavezCompressedInFileOrder(String name) throws IOException {
        Map<String, Tensor> loaded = Npz.load(golden(name));
        assertEquals(List.of("weights", "bias", "alpha", "empty"), new ArrayList<>(loaded.keySet()));
        model().forEach((k, v) -> assertSame(v, loaded.get(k), name + " " + k));
    }

    @Test
    void loadsMixedNpz() throws IOException {
        Map<String, Tensor> loaded = Npz.load(golden("mixed.npz"));
        assertEquals(List.of("fortran", "labels", "half"), new ArrayList<>(loaded.keySet()));
        assertSame(Tensor.of(ramp(6, 1, 0), 2, 3), loaded.get("fortran"), "fortran");
        assertSame(Tensor.of(new double[] {2, 0, 1}), loaded.get("labels"), "labels");
        assertSame(Tensor.of(new double[] {0.5, 1.5}), loaded.get("half"), "half");
    }

    @Test
    void npzEntriesAreNumpysBytesAndJgradsArchiveHoldsTheSame() throws IOException {
        Path mine = dir.resolve("mine.npz");
        Npz.save(mine, model());
        Map<String, byte[]> numpy = entries(golden("model.npz"));
        Map<String, byte[]> jgrad = entries(mine);
        assertEquals(List.of("weights.npy", "bias.npy", "alpha.npy", "empty.npy"), new ArrayList<>(jgrad.keySet()));
        assertEquals(numpy.keySet(), jgrad.keySet());
        for (Map.Entry<String, Tensor> e : model().entrySet()) {
            String entry = e.getKey() + ".npy";
            assertArrayEquals(numpy.get(entry), npyBytes(e.getValue()), entry + ": Npy.write vs numpy");
            assertArrayEquals(numpy.get(entry), jgrad.get(entry), entry + ": Npz.save vs np.savez");
        }
        try (ZipFile zip = new ZipFile(mine.toFile())) {
            zip.stream().forEach(z -> assertEquals(ZipEntry.STORED, z.getMethod(), "stored, as np.savez"));
        }
        Map<String, Tensor> back = Npz.load(mine);
        model().forEach((k, v) -> assertSame(v, back.get(k), "round trip " + k));
    }

    private static Map<String, byte[]> entries(Path npz) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(npz.toFile())) {
            for (ZipEntry e : zip.stream().toList()) {
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    @Test
    void readsArraysWrittenOneAfterAnotherOnAStream() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Tensor t : F8.values()) {
            Npy.write(out, t);
        }
        InputStream in = new ByteArrayInputStream(out.toByteArray());
        for (Map.Entry<String, Tensor> e : F8.entrySet()) {
            assertSame(e.getValue(), Npy.read(in), e.getKey());
        }
        assertEquals(-1, in.read());
    }
}
