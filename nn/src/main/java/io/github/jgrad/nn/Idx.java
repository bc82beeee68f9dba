package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Arrays in the IDX format, MNIST's ({@code train-images-idx3-ubyte}, {@code .gz} too): two zero
 * bytes, a type byte, the number of dimensions, each dimension as a big-endian int32, then the data,
 * big-endian, in row-major order.
 *
 * <pre>{@code
 * Tensor images = Idx.load(Path.of("train-images-idx3-ubyte.gz"));   // shape (60000, 28, 28), 0..255
 * Tensor labels = Idx.load(Path.of("train-labels-idx1-ubyte.gz"));   // shape (60000), 0..9
 * }</pre>
 *
 * <p>Every type converts exactly to double: unsigned byte (0x08), signed byte (0x09), int16 (0x0B),
 * int32 (0x0C), float32 (0x0D) and float64 (0x0E). A gzip file (found by its first bytes, whatever
 * its name) is read as a stream. As with {@link Npy}, the tensor is allocated once and filled a
 * chunk at a time; an uncompressed file must be exactly as long as its dimensions say, and a
 * compressed one, or a pipe (whose length is not known in advance), may expand to at most {@code
 * maxBytes} of tensor (8 bytes per element; default {@link Npy#DEFAULT_MAX_BYTES}). Every error is an
 * {@link IOException} naming the file.
 */
public final class Idx {
    private static final int CHUNK = 1 << 16;

    private Idx() {
    }

    /** Loads {@code file}, as {@link #load(Path, long)} with {@link Npy#DEFAULT_MAX_BYTES}. */
    public static Tensor load(Path file) throws IOException {
        return load(file, Npy.DEFAULT_MAX_BYTES);
    }

    /**
     * Loads the array in {@code file}, plain or gzip-compressed.
     *
     * @throws IOException if the file is not IDX, is a directory, is truncated or too long, has an
     *     unknown type, or is compressed or a pipe and would take more than {@code maxBytes} as a tensor
     * @throws IllegalArgumentException if {@code maxBytes} is negative
     */
    public static Tensor load(Path file, long maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("Idx.load: maxBytes must be >= 0, got " + maxBytes);
        }
        boolean stream = AtomicFiles.isStream(file); // a pipe: no size to check the data against
        try (FileChannel channel = stream ? null : FileChannel.open(file); // the size of the file read, even if replaced
             InputStream raw = stream ? AtomicFiles.stream(file) // buffered already
                     : new BufferedInputStream(Channels.newInputStream(channel), CHUNK)) {
            long size = stream ? -1 : channel.size();
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gzip ? new GZIPInputStream(raw, CHUNK) : raw;
            return read(in, file.toString(), gzip ? -1 : size, gzip || stream ? maxBytes : Long.MAX_VALUE);
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw AtomicFiles.interrupted(file, e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw new IOException(file + ": cannot read" + (e instanceof java.util.zip.ZipException
                    || e instanceof java.io.EOFException ? " (corrupt or truncated gzip data)" : "") + ": " + e, e);
        }
    }

    private static Tensor read(InputStream in, String source, long fileSize, long limit) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4 || head[0] != 0 || head[1] != 0) {
            throw new IOException(source + ": not an IDX file: it does not start with two zero bytes, a type and a"
                    + " rank");
        }
        int type = head[2] & 0xFF;
        int itemSize = switch (type) {
            case 0x08, 0x09 -> 1;
            case 0x0B -> 2;
            case 0x0C, 0x0D -> 4;
            case 0x0E -> 8;
            default -> throw new IOException(source + ": unknown IDX type 0x" + Integer.toHexString(type)
                    + " (known: 0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
        };
        int rank = head[3] & 0xFF;
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new EOFException(source + ": truncated: the file ends inside the " + rank + " dimensions");
        }
        ByteBuffer dims = ByteBuffer.wrap(dimBytes).order(ByteOrder.BIG_ENDIAN);
        int[] shape = new int[rank];
        long count = 1;
        for (int k = 0; k < rank; k++) {
            shape[k] = dims.getInt();
            if (shape[k] < 0) {
                throw new IOException(source + ": dimension " + k + " is " + Integer.toUnsignedString(shape[k])
                        + ", more than a tensor's " + Integer.MAX_VALUE);
            }
            count = Math.min(count * shape[k], Long.MAX_VALUE / Integer.MAX_VALUE); // saturates: no overflow
        }
        String what = "shape " + Text.shape(shape) + " of " + itemSize + "-byte items";
        if (count > NpyFormat.MAX_ELEMENTS) {
            throw new IOException(source + ": " + what + " has more elements than a tensor holds");
        }
        long need = count * itemSize;
        if (fileSize >= 0 && fileSize - 4 - 4L * rank != need) {
            long have = fileSize - 4 - 4L * rank;
            throw have < need ? new EOFException(source + ": truncated: " + what + " needs " + need
                    + " bytes of data, the file has " + have)
                    : new IOException(source + ": " + what + " needs " + need + " bytes of data, but " + have
                    + " follow the header");
        }
        if (8 * count > limit) {
            throw new IOException(source + ": " + what + " would take " + 8 * count + " bytes as a tensor, over the"
                    + " limit of " + limit + " for compressed or streamed data; pass a larger maxBytes to load it if"
                    + " the file is trusted");
        }
        return NpyFormat.allocate(source, what, shape, data -> fill(in, type, itemSize, data, source));
    }

    private static void fill(InputStream in, int type, int itemSize, double[] out, String source) throws IOException {
        byte[] chunk = new byte[(int) Math.min(CHUNK, (long) out.length * itemSize)];
        ByteBuffer buf = ByteBuffer.wrap(chunk).order(ByteOrder.BIG_ENDIAN);
        for (int done = 0; done < out.length; ) {
            int n = Math.min(CHUNK / itemSize, out.length - done);
            int got = in.readNBytes(chunk, 0, n * itemSize);
            if (got < n * itemSize) {
                throw new EOFException(source + ": truncated: the data ends after " + ((long) done * itemSize + got)
                        + " of " + (long) out.length * itemSize + " bytes");
            }
            for (int i = 0; i < n; i++) {
                out[done + i] = switch (type) {
                    case 0x08 -> chunk[i] & 0xFF;
                    case 0x09 -> chunk[i];
                    case 0x0B -> buf.getShort(2 * i);
                    case 0x0C -> buf.getInt(4 * i);
                    case 0x0D -> buf.getFloat(4 * i);
                    default -> buf.getDouble(8 * i);
                };
            }
            done += n;
        }
        if (in.read() >= 0) { // a compressed stream's length was not known in advance
            throw new IOException(source + ": more data follows the " + out.length + " elements the dimensions hold");
        }
    }
}
