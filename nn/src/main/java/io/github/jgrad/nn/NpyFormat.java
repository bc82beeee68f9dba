package io.github.jgrad.nn;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.charset.Charset;
import java.util.Arrays;

/**
 * NumPy's {@code .npy} format (numpy/lib/format.py): a 6-byte magic string, a version, the length
 * of a header that is a Python dict literal padded with spaces and a newline to a multiple of 64
 * bytes, then the raw data. {@link Npy} and {@link Npz} are the public API; every error message
 * starts with {@code source}, the file (and zip entry) being read.
 */
final class NpyFormat {
    /** The most elements one tensor holds (a Java array's limit). */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** NumPy 2's NPY_MAXDIMS: arrays with more dimensions do not load in NumPy. */
    static final int MAX_DIMS = 64;
    private static final int MAX_HEADER_LENGTH = 1 << 16;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    /** NumPy leaves room for the first axis to grow to this many digits without rewriting the file. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Bytes converted per bulk transfer; a multiple of every item size. */
    private static final int CHUNK = 1 << 16;
    static final String SUPPORTED = "float64, float32, int8 to int64, uint8 to uint64 and bool, in either byte order";

    private NpyFormat() {}

    // ================================================================= writing

    /**
     * A tensor's elements as they are written: float64 as {@code '<f8'}, float32 as {@code '<f4'}, copied
     * once (so that the tensor may change while they are written).
     */
    record Saved(int[] shape, double[] doubles, float[] floats) {
        static Saved of(Tensor t) {
            return t.dtype() == DType.FLOAT32 ? new Saved(t.shape(), null, t.toFloatArray())
                    : new Saved(t.shape(), t.toArray(), null);
        }

        /** The .npy header; throws IllegalArgumentException for a shape NumPy cannot hold. */
        byte[] header() {
            return NpyFormat.header(shape, floats != null ? "<f4" : "<f8");
        }

        /** Bytes of data after the header. */
        long dataBytes() {
            return floats != null ? 4L * floats.length : 8L * doubles.length;
        }

        /** Writes the data, little-endian, a chunk at a time. */
        void writeData(OutputStream out) throws IOException {
            int size = floats != null ? 4 : 8;
            int count = floats != null ? floats.length : doubles.length;
            byte[] chunk = new byte[(int) Math.min(CHUNK, (long) size * count)];
            ByteBuffer buf = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; ) {
                int n = Math.min(chunk.length / size, count - i);
                if (floats != null) {
                    buf.asFloatBuffer().put(floats, i, n);
                } else {
                    buf.asDoubleBuffer().put(doubles, i, n);
                }
                out.write(chunk, 0, size * n);
                i += n;
            }
        }
    }

    /** Writes a version 1.0, C-order array ({@code '<f8'} or {@code '<f4'}): byte for byte what {@code np.save} writes. */
    static void write(OutputStream out, Tensor t) throws IOException {
        Saved s = Saved.of(t);
        out.write(s.header());
        s.writeData(out);
    }

    /** The magic string, version 1.0, header length and header for {@code descr}, exactly as NumPy formats them. */
    static byte[] header(int[] shape, String descr) {
        if (shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("a tensor of " + shape.length + " dimensions cannot be saved: NumPy"
                    + " arrays have at most " + MAX_DIMS);
        }
        StringBuilder h = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ");
        h.append(shapeRepr(shape)).append(", }");
        if (shape.length > 0) {
            h.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length()));
        }
        int unpadded = MAGIC.length + 2 + 2 + h.length() + 1; // magic, version, length, header, '\n'
        h.append(" ".repeat(ALIGN - unpadded % ALIGN)).append('\n'); // 1 to 64 spaces, as NumPy pads
        byte[] text = h.toString().getBytes(ISO_8859_1);
        return ByteBuffer.allocate(MAGIC.length + 4 + text.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text).array();
    }

    /** Python's repr of a shape tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
    static String shapeRepr(int[] shape) {
        long[] s = new long[shape.length];
        Arrays.setAll(s, i -> shape[i]);
        return shapeRepr(s);
    }

    private static String shapeRepr(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    // ================================================================= reading

    /**
     * Reads one array and leaves {@code in} just after it. The tensor is allocated once, at its final
     * size, and filled a chunk at a time: loading needs the tensor's memory plus a 64 KiB buffer.
     *
     * @param length the array's size in bytes (a file or a zip entry), checked against its header
     *     before any data is read; -1 if unknown
     * @param lengthIsReal whether {@code length} bytes are known to exist (a file's size, not a zip
     *     entry's claim); if not, the tensor may take at most {@code limit} bytes (8 per element), so
     *     that a header claiming a huge shape (a decompression bomb) fails before any allocation
     */
    static Tensor read(InputStream in, String source, long length, boolean lengthIsReal, long limit)
            throws IOException {
        byte[] preamble = new byte[MAGIC.length + 2];
        int got = readN(in, preamble, preamble.length, source);
        if (got == 0 && length < 0) { // as np.load's "No data left in file": a stream read to its end, not cut short
            throw new EOFException(source + ": no data left: it ended where an array would begin");
        } else if (got < preamble.length) {
            throw new EOFException(source + ": truncated: only " + got + " of the " + preamble.length
                    + " bytes of the .npy magic string and version");
        }
        if (!Arrays.equals(preamble, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            boolean zip = preamble[0] == 'P' && preamble[1] == 'K';
            throw new IOException(source + ": not a .npy file: it starts with bytes " + hex(preamble)
                    + ", not \\x93NUMPY" + (zip ? " (it looks like a zip archive, such as an .npz: use Npz.load)" : ""));
        }
        int major = preamble[6] & 0xFF;
        int minor = preamble[7] & 0xFF;
        if (minor != 0 || major < 1 || major > 3) {
            throw new IOException(source + ": unsupported .npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        ByteBuffer lb = ByteBuffer.wrap(readFully(in, lengthBytes, source, "the header length"))
                .order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lb.getShort() & 0xFFFF : lb.getInt() & 0xFFFFFFFFL;
        if (headerLength > MAX_HEADER_LENGTH) {
            throw new IOException(source + ": corrupt .npy header: it claims " + headerLength + " bytes; at most "
                    + MAX_HEADER_LENGTH + " are accepted");
        }
        Charset charset = major == 3 ? UTF_8 : ISO_8859_1;
        String text = new String(readFully(in, (int) headerLength, source, "the .npy header"), charset);
        Header h = new HeaderParser(text, source).parse();
        long dataStart = preamble.length + lengthBytes + headerLength;
        long need = (long) h.count * h.dtype.size;
        if (length >= 0 && length - dataStart != need) {
            long have = length - dataStart;
            String what = source + ": " + h + " needs " + need + " bytes of data (" + h.count + " x " + h.dtype.size
                    + "), ";
            throw have < need ? new EOFException(what + "but only " + Math.max(have, 0) + " follow the header (truncated)")
                    : new IOException(what + "but " + have + " follow the header: the shape does not match the data");
        }
        boolean single = h.dtype.kind == 'f' && h.dtype.size == 4; // float32 comes back as float32, bit for bit
        long bytes = (single ? 4L : 8L) * h.count;
        if (!(length >= 0 && lengthIsReal) && bytes > limit) {
            throw new IOException(source + ": " + h + " would take " + bytes + " bytes as a tensor, over the "
                    + limit + " bytes left of the limit on data whose size is only claimed (compressed or"
                    + " streamed); pass a larger maxBytes to load it if the file is trusted");
        }
        if (single) {
            return allocate(source, h.toString(), h.shape, 4, () -> Tensor.createFloats(h.shape, data -> {
                readData(in, h, source, (buf, n, at) -> buf.asFloatBuffer().get(data, at, n));
                if (h.fortranOrder) {
                    fortranToC(h.shape, data.length, (i, j) -> {
                        float v = data[i];
                        data[i] = data[j];
                        data[j] = v;
                    });
                }
            }));
        }
        return allocate(source, h.toString(), h.shape, data -> {
            readData(in, h, source, (buf, n, at) -> decode(h.dtype, buf, n, data, at, source));
            if (h.fortranOrder) {
                fortranToC(data, h.shape);
            }
        });
    }

    /** What reads a tensor's values and may throw. */
    interface Reading {
        Tensor read() throws IOException;
    }

    /**
     * A tensor of {@code shape}, its values written by {@code filler}; one the heap cannot hold is an
     * {@link IOException} naming {@code source}, {@code what} it holds and -Xmx. (The tensor is the one
     * allocation, so running out of memory there affects nothing else.)
     */
    static Tensor allocate(String source, String what, int[] shape, Tensor.Filler<IOException> filler)
            throws IOException {
        return allocate(source, what, shape, 8, () -> Tensor.create(shape, filler));
    }

    /** {@link #allocate}, for a tensor of {@code bytesPerElement} that {@code reading} creates and fills. */
    private static Tensor allocate(String source, String what, int[] shape, int bytesPerElement, Reading reading)
            throws IOException {
        try {
            return reading.read();
        } catch (OutOfMemoryError e) {
            long bytes = bytesPerElement;
            for (int d : shape) {
                bytes *= d;
            }
            throw new IOException(source + ": " + what + " needs " + bytes + " bytes as a tensor, more than the Java"
                    + " heap has free (maximum " + Runtime.getRuntime().maxMemory() + " bytes; see -Xmx)", e);
        }
    }

    /** Takes {@code n} items at the start of a chunk into the tensor's array, from element {@code at}. */
    private interface Decoder {
        void decode(ByteBuffer chunk, int n, int at) throws IOException;
    }

    /** Reads the data, a chunk at a time, handing each to {@code decoder}. */
    private static void readData(InputStream in, Header h, String source, Decoder decoder) throws IOException {
        int size = h.dtype.size;
        byte[] chunk = new byte[(int) Math.min(CHUNK, (long) h.count * size)];
        ByteBuffer buf = ByteBuffer.wrap(chunk).order(h.dtype.order);
        for (int done = 0; done < h.count; ) {
            int n = Math.min(CHUNK / size, h.count - done);
            int got = readN(in, chunk, n * size, source);
            if (got < n * size) {
                throw new EOFException(source + ": truncated: the data ends after " + ((long) done * size + got)
                        + " of the " + (long) h.count * size + " bytes that " + h + " needs");
            }
            decoder.decode(buf, n, done);
            done += n;
        }
    }

    /** Converts {@code n} items at the start of {@code buf} to doubles in {@code out[at...]}. */
    private static void decode(Dtype t, ByteBuffer buf, int n, double[] out, int at, String source) throws IOException {
        boolean unsigned = t.kind == 'u';
        switch (t.kind + Integer.toString(t.size)) {
            case "f8" -> buf.asDoubleBuffer().get(out, at, n);
            case "b1" -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = buf.get(i) != 0 ? 1 : 0;
                }
            }
            case "i1", "u1" -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = unsigned ? buf.get(i) & 0xFF : buf.get(i);
                }
            }
            case "i2", "u2" -> {
                ShortBuffer s = buf.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[at + i] = unsigned ? s.get(i) & 0xFFFF : s.get(i);
                }
            }
            case "i4", "u4" -> {
                IntBuffer s = buf.asIntBuffer();
                for (int i = 0; i < n; i++) {
                    out[at + i] = unsigned ? s.get(i) & 0xFFFFFFFFL : s.get(i);
                }
            }
            case "i8", "u8" -> {
                LongBuffer s = buf.asLongBuffer();
                for (int i = 0; i < n; i++) {
                    out[at + i] = exactDouble(s.get(i), unsigned, at + i, t, source);
                }
            }
            default -> throw new AssertionError(t.descr);
        }
    }

    /** {@code v} (as a signed or unsigned 64-bit integer) as a double, if that is exact. */
    private static double exactDouble(long v, boolean unsigned, int index, Dtype t, String source) throws IOException {
        boolean negative = !unsigned && v < 0;
        long m = negative ? -v : v; // the magnitude, as an unsigned number (also for Long.MIN_VALUE)
        if (64 - Long.numberOfLeadingZeros(m) - Long.numberOfTrailingZeros(m) > 53) {
            throw new IOException(source + ": the " + t.name() + " value "
                    + (unsigned ? Long.toUnsignedString(v) : Long.toString(v)) + " at flat index " + index
                    + " has no exact double (doubles hold every integer up to 2^53, larger ones only in part)");
        }
        double d = m >= 0 ? m : (m >>> 1) * 2.0; // exact: m has at most 53 significant bits
        return negative ? -d : d;
    }

    /**
     * Reorders column-major (Fortran) data to row-major in place, by following the permutation's
     * cycles: the only extra memory is one bit per element.
     */
    static void fortranToC(double[] a, int[] shape) {
        fortranToC(shape, a.length, (i, j) -> {
            double v = a[i];
            a[i] = a[j];
            a[j] = v;
        });
    }

    /** Swaps two elements of an array. */
    interface Swap {
        void swap(int i, int j);
    }

    /**
     * {@link #fortranToC(double[], int[])} for an array of any type, by {@code swap}: each cycle's
     * first place holds the value in transit, which swaps into each place of the cycle in turn.
     */
    static void fortranToC(int[] shape, int length, Swap swap) {
        if (shape.length < 2 || length == 0) {
            return;
        }
        int[] cStride = new int[shape.length];
        for (int k = shape.length - 1, s = 1; k >= 0; s *= shape[k], k--) {
            cStride[k] = s;
        }
        long[] placed = new long[(length + 63) >>> 6];
        for (int start = 0; start < length; start++) {
            if ((placed[start >>> 6] & 1L << start) != 0) {
                continue;
            }
            // the value from position p goes to cIndex(p): start holds it while its own goes on
            for (int q = cIndex(start, shape, cStride); q != start; q = cIndex(q, shape, cStride)) {
                swap.swap(start, q);
                placed[q >>> 6] |= 1L << q;
            }
            placed[start >>> 6] |= 1L << start;
        }
    }

    /** The row-major index of the element at column-major position {@code f}. */
    private static int cIndex(int f, int[] shape, int[] cStride) {
        int c = 0;
        for (int k = 0; k < shape.length; k++) { // axis 0 varies fastest in column-major order
            c += f % shape[k] * cStride[k];
            f /= shape[k];
        }
        return c;
    }

    private static byte[] readFully(InputStream in, int n, String source, String what) throws IOException {
        byte[] b = new byte[n];
        int got = readN(in, b, n, source);
        if (got < n) {
            throw new EOFException(source + ": truncated: only " + got + " of the " + n + " bytes of " + what);
        }
        return b;
    }

    /** Reads up to {@code n} bytes; fewer only at the end of the stream. */
    static int readN(InputStream in, byte[] b, int n, String source) throws IOException {
        try {
            return in.readNBytes(b, 0, n);
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw AtomicFiles.interrupted(source, e);
        } catch (IOException e) {
            throw new IOException(source + ": cannot read: " + e, e);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }

    // ================================================================= header

    /** A supported dtype: kind 'f', 'i', 'u' or 'b', item size in bytes, byte order. */
    record Dtype(String descr, char kind, int size, ByteOrder order) {
        static Dtype parse(String descr) {
            if (descr.length() != 3 || descr.charAt(2) < '1' || descr.charAt(2) > '8') {
                return null;
            }
            char order = descr.charAt(0);
            char kind = descr.charAt(1);
            int size = descr.charAt(2) - '0';
            boolean known = switch (kind) {
                case 'f' -> size == 4 || size == 8;
                case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
                case 'b' -> size == 1;
                default -> false;
            };
            ByteOrder bo = switch (order) {
                case '<' -> ByteOrder.LITTLE_ENDIAN;
                case '>' -> ByteOrder.BIG_ENDIAN;
                case '=' -> ByteOrder.nativeOrder();
                case '|' -> size == 1 ? ByteOrder.LITTLE_ENDIAN : null; // "not applicable": single bytes only
                default -> null;
            };
            return known && bo != null ? new Dtype(descr, kind, size, bo) : null;
        }

        /** NumPy's name: float64, int32, uint8, bool. */
        String name() {
            return kind == 'b' ? "bool" : (kind == 'f' ? "float" : kind == 'i' ? "int" : "uint") + 8 * size;
        }
    }

    /** A parsed header: what the data holds. */
    record Header(Dtype dtype, boolean fortranOrder, int[] shape, int count) {
        @Override
        public String toString() {
            return "shape " + shapeRepr(shape) + " of dtype '" + dtype.descr + "'";
        }
    }

    /**
     * Parses the subset of Python literals that .npy headers use: a dict with the keys 'descr' (a
     * string), 'fortran_order' (True or False) and 'shape' (a tuple of integers), in any order, with
     * any whitespace and trailing commas.
     */
    private static final class HeaderParser {
        private final String s;
        private final String source;
        private int i;

        HeaderParser(String s, String source) {
            this.s = s;
            this.source = source;
        }

        Header parse() throws IOException {
            String descr = null;
            Boolean fortran = null;
            long[] shape = null;
            skipSpace();
            expect('{');
            while (skipSpace() != '}') {
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                switch (key) {
                    case "descr" -> {
                        if (peek() == '[') {
                            throw new IOException(source + ": unsupported dtype: a structured dtype, in header "
                                    + abbreviate(s.strip()) + " (supported: " + SUPPORTED + ")");
                        }
                        descr = string();
                    }
                    case "fortran_order" -> fortran = bool();
                    case "shape" -> shape = tuple();
                    default -> throw corrupt("unexpected key '" + key + "'");
                }
                if (skipSpace() == ',') {
                    i++;
                } else if (peek() != '}') {
                    throw corrupt("expected ',' or '}'");
                }
            }
            i++;
            if (skipSpace() != 0) {
                throw corrupt("unexpected text after the dict");
            }
            if (descr == null || fortran == null || shape == null) {
                throw corrupt("missing key '" + (descr == null ? "descr" : fortran == null ? "fortran_order" : "shape") + "'");
            }
            return header(descr, fortran, shape);
        }

        private Header header(String descr, boolean fortran, long[] shape) throws IOException {
            long count = 1;
            for (long d : shape) {
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw new IOException(source + ": invalid shape " + shapeRepr(shape) + ": dimension " + d
                            + (d < 0 ? " is negative" : " exceeds " + Integer.MAX_VALUE));
                }
                count = Math.min(count * d, Long.MAX_VALUE / Integer.MAX_VALUE); // saturates: no overflow
            }
            if (count > MAX_ELEMENTS) {
                throw new IOException(source + ": shape " + shapeRepr(shape) + " has more than " + MAX_ELEMENTS
                        + " elements, the most a tensor holds");
            }
            Dtype dtype = Dtype.parse(descr);
            if (dtype == null) {
                throw new IOException(source + ": unsupported dtype '" + descr + "' of the array of shape "
                        + shapeRepr(shape) + " (supported: " + SUPPORTED + ")");
            }
            int[] dims = new int[shape.length];
            Arrays.setAll(dims, k -> (int) shape[k]);
            return new Header(dtype, fortran, dims, (int) count);
        }

        private String string() throws IOException {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw corrupt("expected a string");
            }
            int end = s.indexOf(quote, i + 1);
            if (end < 0) {
                throw corrupt("unterminated string");
            }
            String value = s.substring(i + 1, end);
            i = end + 1;
            return value;
        }

        private boolean bool() throws IOException {
            for (String word : new String[] {"True", "False"}) {
                if (s.startsWith(word, i)) {
                    i += word.length();
                    return word.equals("True");
                }
            }
            throw corrupt("expected True or False");
        }

        private long[] tuple() throws IOException {
            expect('(');
            long[] dims = new long[0];
            while (skipSpace() != ')') {
                dims = Arrays.copyOf(dims, dims.length + 1);
                dims[dims.length - 1] = integer();
                if (skipSpace() == ',') {
                    i++;
                } else if (peek() != ')') {
                    throw corrupt("expected ',' or ')' in the shape");
                }
            }
            i++;
            return dims;
        }

        private long integer() throws IOException {
            int start = i;
            if (peek() == '-') {
                i++;
            }
            while (peek() >= '0' && peek() <= '9') {
                i++;
            }
            String digits = s.substring(start, i);
            if (peek() == 'L') { // Python 2 long, as NumPy still accepts
                i++;
            }
            if (!digits.matches("-?[0-9]+")) {
                i = start;
                throw corrupt("expected an integer in the shape");
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) { // more digits than a long holds
                throw new IOException(source + ": invalid shape in header " + abbreviate(s) + ": dimension " + digits
                        + " exceeds " + Integer.MAX_VALUE, e);
            }
        }

        private char skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return peek();
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : 0;
        }

        private void expect(char c) throws IOException {
            if (peek() != c) {
                throw corrupt("expected '" + c + "'");
            }
            i++;
        }

        private IOException corrupt(String what) {
            return new IOException(source + ": corrupt .npy header: " + what + " at character " + i + " of "
                    + abbreviate(s));
        }

        private static String abbreviate(String text) {
            StringBuilder sb = new StringBuilder("\"");
            for (int k = 0; k < text.length() && k < 200; k++) {
                char c = text.charAt(k);
                sb.append(c == '\n' ? "\\n" : c < ' ' || c > '~' ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
            return sb.append(text.length() > 200 ? "...\"" : "\"").toString();
        }
    }
}
