package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.autodiff.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import io.github.jgrad.testing.Generator;
import io.github.jgrad.testing.Property;
import org.junit.jupiter.api.Test;

/** Round trips over random shapes, bit patterns, dtypes and byte orders. */
class NpyRoundTripProperties {
    /** A shape of rank 0 to 4 with sides 0 to 4, a seed for the data, a dtype index and a byte order. */
    private record Case(int[] shape, long seed, int type, boolean bigEndian) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + " seed " + seed + " type " + type + (bigEndian ? " big-endian" : "");
        }
    }

    private static final Generator<Case> CASES = r -> {
        int[] shape = new int[r.nextInt(5)];
        Arrays.setAll(shape, i -> r.nextInt(5));
        return new Case(shape, r.nextLong(), r.nextInt(11), r.nextBoolean());
    };

    private static int size(int[] shape) {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    /** Any bit pattern, so NaN payloads, infinities, -0.0 and subnormals all occur. */
    private static double[] randomBits(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[n];
        Arrays.setAll(d, i -> Double.longBitsToDouble(r.nextLong()));
        return d;
    }

    private static Tensor tensor(int[] shape, double[] data) {
        return shape.length == 0 ? Tensor.scalar(data[0]) : Tensor.of(data, shape);
    }

    @Test
    void writeThenReadKeepsShapeAndEveryBit() {
        Property.forAll(CASES).tries(300).check(c -> writeThenReadKeepsShapeAndEveryBit(c.shape(), c.seed()));
    }

    private static void writeThenReadKeepsShapeAndEveryBit(int[] shape, long seed) throws IOException {
        Tensor t = tensor(shape, randomBits(seed, size(shape)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, t);
        byte[] bytes = out.toByteArray();
        assertEquals(0, (bytes.length - 8 * t.size()) % 64, "header aligned to 64 bytes");
        assertEquals('\n', bytes[bytes.length - 8 * t.size() - 1], "header ends in a newline");
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        NpyGoldenTest.assertSame(t, Npy.read(in), Arrays.toString(shape));
        assertEquals(0, in.available(), "the whole array was read");
    }

    @Test
    void fortranOrderIsTheTransposeInCOrder() {
        Property.forAll(CASES).tries(300).check(c -> fortranOrderIsTheTransposeInCOrder(c.shape(), c.seed()));
    }

    private static void fortranOrderIsTheTransposeInCOrder(int[] shape, long seed) {
        double[] c = randomBits(seed, size(shape));
        int[] reversed = new int[shape.length];
        Arrays.setAll(reversed, k -> shape.length - 1 - k);
        // (a 0-d tensor is its own transpose; autodiff-core's permute() of one throws, see the report)
        double[] fortran = shape.length == 0 ? c : tensor(shape, c).permute(reversed).toArray();
        double[] back = fortran.clone();
        NpyFormat.fortranToC(back, shape); // in place
        assertArrayEquals(Arrays.stream(c).mapToLong(Double::doubleToRawLongBits).toArray(),
                Arrays.stream(back).mapToLong(Double::doubleToRawLongBits).toArray());
    }

    @Test
    void everyDtypeAndByteOrderConvertsExactly() {
        Property.forAll(CASES).tries(300).check(c ->
                everyDtypeAndByteOrderConvertsExactly(c.shape(), c.seed(), c.type(), c.bigEndian()));
    }

    private static void everyDtypeAndByteOrderConvertsExactly(int[] shape, long seed, int type, boolean bigEndian)
            throws IOException {
        String[] descrs = {"f8", "f4", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "b1"};
        String descr = descrs[type];
        int itemSize = descr.charAt(1) - '0';
        int n = size(shape);
        SplittableRandom r = new SplittableRandom(seed);
        ByteBuffer data = ByteBuffer.allocate(n * itemSize).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            long v = r.nextLong();
            switch (descr) {
                case "f8" -> data.putDouble(expected[i] = Double.longBitsToDouble(v));
                case "f4" -> {
                    float f = Float.intBitsToFloat((int) v);
                    f = Float.isNaN(f) ? Float.NaN : f; // widening may quiet a signalling NaN
                    data.putFloat(f);
                    expected[i] = f;
                }
                case "i1", "u1", "b1" -> {
                    data.put((byte) v);
                    expected[i] = descr.equals("b1") ? ((byte) v != 0 ? 1 : 0) : descr.equals("u1") ? v & 0xFF : (byte) v;
                }
                case "i2", "u2" -> {
                    data.putShort((short) v);
                    expected[i] = descr.equals("u2") ? v & 0xFFFF : (short) v;
                }
                case "i4", "u4" -> {
                    data.putInt((int) v);
                    expected[i] = descr.equals("u4") ? v & 0xFFFFFFFFL : (int) v;
                }
                default -> { // i8, u8: at most 53 significant bits (so exact), anywhere in the range
                    long exact = (v >>> 11) << r.nextInt(12);
                    exact = descr.equals("i8") && r.nextBoolean() ? -exact : exact;
                    data.putLong(exact);
                    expected[i] = descr.equals("u8") && exact < 0 ? 0x1p64 + exact : exact;
                }
            }
        }
        String dict = "{'descr': '" + (itemSize == 1 ? "|" : bigEndian ? ">" : "<") + descr
                + "', 'fortran_order': False, 'shape': " + NpyFormat.shapeRepr(shape) + ", }";
        byte[] file = NpyErrorsTest.npy(dict, data.array());
        NpyGoldenTest.assertSame(tensor(shape, expected), Npy.read(new ByteArrayInputStream(file)), dict);
    }
}
