package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One tensor in NumPy's {@code .npy} format, as {@code np.save} and {@code np.load} read and write it.
 *
 * <pre>{@code
 * Npy.save(Path.of("w.npy"), w);           // np.load("w.npy") in Python
 * Tensor back = Npy.load(Path.of("w.npy"));
 * }</pre>
 *
 * <p><b>Writing</b> produces format version 1.0, dtype {@code '<f8'} (little-endian float64) for a
 * float64 tensor and {@code '<f4'} for a float32 one, C order: the same bytes as {@code np.save} of an
 * array of that dtype, shape and values (a 0-d tensor is shape {@code ()}). Tensors of more than 64 dimensions, which NumPy cannot load, are
 * rejected with an {@link IllegalArgumentException}.
 *
 * <p><b>Reading</b> accepts format versions 1.0, 2.0 and 3.0; C and Fortran order (Fortran-order
 * data is reordered to row-major); either byte order; and the dtypes float64, float32, int8 to
 * int64, uint8 to uint64 and bool. float32 arrays load as float32 tensors; every other dtype is
 * converted exactly to a float64 tensor (bool to 0 and 1). An int64 or
 * uint64 value that has no exact double (beyond 2^53 with low bits set) is an error rather than a
 * rounded number; so are every other dtype (float16, complex, strings, objects, structured arrays),
 * and data longer or shorter than the header's shape needs when the size is known. Every error is an
 * {@link IOException} whose message names the file and the shape, dtype or sizes involved; no
 * input makes a reader throw anything else (a fuzz test holds this).
 */
public final class Npy {
    private Npy() {}

    /** Writes {@code t} to {@code out} in .npy format; {@code out} is neither flushed nor closed. */
    public static void write(OutputStream out, Tensor t) throws IOException {
        Objects.requireNonNull(out, "out");
        NpyFormat.write(out, Objects.requireNonNull(t, "Npy.write: t is null"));
    }

    /**
     * The default of {@code maxBytes}: the most memory, 8 bytes per float64 element and 4 per float32, that
     * the tensors read from data of unverified size (a stream, or an archive's compressed entries) may
     * take: 1 GiB.
     */
    public static final long DEFAULT_MAX_BYTES = 1L << 30;

    /**
     * Reads one array from {@code in}, leaving the stream just after it (so several arrays written one
     * after another read back one by one, and a stream read to its end then throws an
     * {@link java.io.EOFException} saying "no data left", as {@code np.load} does, where one cut short
     * says "truncated"); {@code in} is not closed. As {@link #read(InputStream,
     * long)} with {@link #DEFAULT_MAX_BYTES}.
     */
    public static Tensor read(InputStream in) throws IOException {
        return read(in, DEFAULT_MAX_BYTES);
    }

    /**
     * Reads one array from {@code in}, as {@link #read(InputStream)}. A stream's length is not known in
     * advance, so the header's shape is only a claim: an array that would take more than {@code maxBytes}
     * as a tensor (8 bytes per float64 element, 4 per float32) is refused before anything is allocated, and
     * a truncated stream is found when it ends.
     *
     * @throws IOException for a malformed or truncated array, or one over the limit
     * @throws IllegalArgumentException if {@code maxBytes} is negative
     */
    public static Tensor read(InputStream in, long maxBytes) throws IOException {
        Objects.requireNonNull(in, "Npy.read: in");
        if (maxBytes < 0) {
            throw new IllegalArgumentException("Npy.read: maxBytes must be >= 0, got " + maxBytes);
        }
        return NpyFormat.read(in, "stream", -1, false, maxBytes);
    }

    /**
     * Saves {@code t} to {@code file} atomically: a crash or an error leaves either the old file or the
     * complete new one, never a partial file; an error leaves no temporary file behind (a crash may:
     * see the package docs for this and for file systems that cannot rename atomically).
     */
    public static void save(Path file, Tensor t) throws IOException {
        Objects.requireNonNull(file, "Npy.save: file is null");
        Objects.requireNonNull(t, "Npy.save: t is null");
        if (t.dim() > NpyFormat.MAX_DIMS) {
            throw new IllegalArgumentException(file + ": cannot save a tensor of " + t.dim() + " dimensions: NumPy"
                    + " arrays have at most " + NpyFormat.MAX_DIMS);
        }
        NpyFormat.Saved data = NpyFormat.Saved.of(t);
        byte[] header = data.header(); // rejects unsaveable shapes before touching the file
        AtomicFiles.write(file, out -> {
            out.write(header);
            data.writeData(out);
        });
    }

    /**
     * Loads the array in {@code file}. The file's size must be exactly what its header's shape and
     * dtype need; otherwise the error names both sizes. The tensor is allocated once and filled from
     * the file a chunk at a time (Fortran-order data is reordered in place), so loading needs the
     * tensor's memory and a small buffer; a tensor larger than the heap can hold is an
     * {@link IOException} saying so. A pipe or a device, whose size is not known in advance, is read
     * as a stream and must end with the array; its header's shape is allocated as claimed (read it with
     * {@link #read(InputStream, long)} to bound what an untrusted header may claim).
     */
    public static Tensor load(Path file) throws IOException {
        if (AtomicFiles.isStream(file)) {
            try (InputStream in = AtomicFiles.stream(file)) {
                Tensor t = NpyFormat.read(in, file.toString(), -1, false, Long.MAX_VALUE);
                if (in.read() >= 0) {
                    throw new IOException(file + ": more data follows the array its header describes");
                }
                return t;
            }
        }
        try (FileChannel channel = FileChannel.open(file)) {
            return NpyFormat.read(Channels.newInputStream(channel), file.toString(), channel.size(), true, Long.MAX_VALUE);
        } catch (ClosedByInterruptException e) {
            throw AtomicFiles.interrupted(file, e);
        }
    }
}
