package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Named tensors in NumPy's {@code .npz} format: a zip archive with one {@code NAME.npy} entry per
 * array, as {@code np.savez} writes it and {@code np.load} reads it.
 *
 * <pre>{@code
 * Npz.save(Path.of("model.npz"), Map.of("w", w, "b", b));  // np.load("model.npz")["w"] in Python
 * Map<String, Tensor> params = Npz.load(Path.of("model.npz"));
 * }</pre>
 *
 * <p>Entries are written uncompressed ({@code ZIP_STORED}), like {@code np.savez}; each entry holds
 * exactly the bytes {@link Npy#write} produces. Loading reads stored and deflated entries, so files
 * from {@code np.savez_compressed} load too, converts each entry as {@link Npy} describes, and checks
 * each entry's CRC-32, so a corrupted byte is an error, not a wrong number.
 */
public final class Npz {
    private Npz() {}

    /**
     * Saves {@code tensors} to {@code file} atomically, one entry per map entry, in the map's
     * iteration order (use a {@link LinkedHashMap} to choose it). A crash or an error, such as a null
     * or empty name or a null tensor met halfway through the map, leaves either the old file or the
     * complete new one; an error leaves no temporary file behind (a crash may: see the package docs).
     *
     * @throws IllegalArgumentException for a null or empty name, a name longer than a zip entry's
     *     (65,531 bytes of UTF-8), a null tensor or one NumPy cannot hold (over 64 dimensions), all
     *     checked before the file is touched
     * @throws IOException if the file cannot be written (its message names the file)
     */
    public static void save(Path file, Map<String, Tensor> tensors) throws IOException {
        Objects.requireNonNull(file, "Npz.save: file is null");
        Objects.requireNonNull(tensors, "Npz.save: tensors is null");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            check(file.toString(), e.getKey(), e.getValue());
        }
        AtomicFiles.write(file, out -> write(out, tensors, file.toString()));
    }

    /**
     * Writes {@code tensors} to {@code out} as an {@code .npz} archive, the bytes {@link #save} writes
     * to a file (to send a model over a network, say); {@code out} is not closed.
     *
     * @throws IllegalArgumentException as {@link #save}, before anything is written
     */
    public static void write(OutputStream out, Map<String, Tensor> tensors) throws IOException {
        Objects.requireNonNull(out, "Npz.write: out is null");
        Objects.requireNonNull(tensors, "Npz.write: tensors is null");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            check("stream", e.getKey(), e.getValue());
        }
        write(new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush(); // finishes the archive, leaves the caller's stream open
            }
        }, tensors, "stream");
    }

    private static void write(OutputStream out, Map<String, Tensor> tensors, String source) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                writeEntry(zip, source, e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Reads an {@code .npz} archive from {@code in}: {@link #read(InputStream, long)} with
     * {@link Npy#DEFAULT_MAX_BYTES}.
     */
    public static Map<String, Tensor> read(InputStream in) throws IOException {
        return read(in, Npy.DEFAULT_MAX_BYTES);
    }

    /**
     * Reads an {@code .npz} archive from {@code in}, as {@link #load(Path, long)} reads a file, with the
     * same checks and errors (named "stream"), except that the stream must start as a zip archive does
     * (np.load requires it of files too; {@code load} also reads an archive after a preamble): every
     * entry, in order, each checked against its CRC-32, and the archive's directory at its end, so
     * that an empty, cut-off or foreign stream is an error, never fewer arrays. {@code in} is read to
     * its end (into a temporary file, deleted before this returns) and not closed. A stream's sizes are
     * only claims, so every entry counts against {@code maxBytes} (8 bytes per float64 element, 4 per
     * float32), and the stream may hold at most {@code maxBytes} plus {@value #STREAM_HEADROOM} bytes
     * (for the archive's headers).
     *
     * @throws IOException for anything {@link #load(Path, long)} refuses, for a longer stream, and if
     *     the temporary file cannot be written
     */
    public static Map<String, Tensor> read(InputStream in, long maxBytes) throws IOException {
        Objects.requireNonNull(in, "Npz.read: in is null");
        if (maxBytes < 0) {
            throw new IllegalArgumentException("Npz.read: maxBytes must be >= 0, got " + maxBytes);
        }
        return read(in, maxBytes, "stream");
    }

    /** {@link #read(InputStream, long)}, naming the archive {@code archive} in errors. */
    private static Map<String, Tensor> read(InputStream in, long maxBytes, String archive) throws IOException {
        // a zip archive starts with a local header (or, empty, with its end record): anything else is refused
        // before it is copied, rather than after maxBytes of /dev/zero or of a stray .npy
        byte[] start = new byte[4]; // read, not readNBytes(4): JDK 17's FileInputStream asks a pipe for its position there
        start = java.util.Arrays.copyOf(start, NpyFormat.readN(in, start, 4, archive));
        if (start.length < 4 || start[0] != 'P' || start[1] != 'K' || !(start[2] == 3 && start[3] == 4
                || start[2] == 5 && start[3] == 6)) {
            throw new IOException(archive + ": not an .npz file (a zip archive of .npy arrays): it "
                    + (start.length == 0 ? "is empty" : "starts with bytes " + NpyFormat.hex(start) + ", not PK\\3\\4")
                    + (start.length > 0 && start[0] == (byte) 0x93 ? " (it looks like an .npy array: use Npy)" : ""));
        }
        long limit = maxBytes > Long.MAX_VALUE - STREAM_HEADROOM ? Long.MAX_VALUE : maxBytes + STREAM_HEADROOM;
        Path copy;
        try {
            copy = Files.createTempFile("jgrad-", ".npz");
        } catch (IOException e) {
            throw new IOException(archive + ": cannot create a temporary file to read the archive from, in "
                    + System.getProperty("java.io.tmpdir") + " (java.io.tmpdir): " + e, e);
        }
        try {
            try (OutputStream out = Files.newOutputStream(copy)) {
                byte[] buffer = new byte[1 << 16];
                System.arraycopy(start, 0, buffer, 0, start.length);
                long total = 0;
                for (int n = start.length; n >= 0; n = in.read(buffer)) {
                    total += n;
                    if (total > limit) {
                        throw new IOException(archive + ": longer than maxBytes (" + maxBytes + ") plus " + STREAM_HEADROOM
                                + " bytes for the archive's headers; raise maxBytes to read it");
                    }
                    try {
                        out.write(buffer, 0, n);
                    } catch (IOException e) {
                        throw new IOException(archive + ": cannot copy the archive to the temporary file " + copy
                                + " (java.io.tmpdir): " + e, e);
                    }
                }
            }
            return load(copy, archive, maxBytes, false);
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /** What a stream may hold beyond {@link #read}'s maxBytes: its zip and .npy headers. */
    static final long STREAM_HEADROOM = 1 << 20;

    private static void check(String file, String name, Tensor t) {
        String shown = Text.name(name);
        if (name == null || name.isEmpty() || t == null) {
            throw new IllegalArgumentException(file + ": cannot save " + (t == null ? "a null tensor" : "a tensor")
                    + " under the name " + shown + (name == null || name.isEmpty() ? ": names must be non-empty strings" : ""));
        }
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(name) || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(file + ": cannot save the tensor named " + shown + ": "
                    + (name.indexOf('\0') >= 0 ? "it holds a NUL character, where np.load cuts names short"
                    : "it holds a lone surrogate (half a UTF-16 pair), which UTF-8, a zip entry's encoding, cannot write"));
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > 0xFFFF - ".npy".length()) {
            throw new IllegalArgumentException(file + ": cannot save the tensor named " + shown + ": a zip entry's"
                    + " name holds at most 65535 bytes of UTF-8, \".npy\" included");
        }
        if (t.dim() > NpyFormat.MAX_DIMS) {
            throw new IllegalArgumentException(file + ": cannot save the tensor named " + shown + " of "
                    + t.dim() + " dimensions: NumPy arrays have at most " + NpyFormat.MAX_DIMS);
        }
    }

    private static void writeEntry(ZipOutputStream zip, String file, String name, Tensor t) throws IOException {
        check(file, name, t); // again: the map may have changed since
        NpyFormat.Saved data = NpyFormat.Saved.of(t);
        byte[] header = data.header();
        CRC32 crc = new CRC32(); // a stored entry's CRC and size precede its data: one pass to compute them
        crc.update(header);
        data.writeData(new CheckedOutputStream(OutputStream.nullOutputStream(), crc));
        ZipEntry entry = new ZipEntry(name + ".npy");
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(header.length + data.dataBytes());
        entry.setCompressedSize(entry.getSize());
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(header);
        data.writeData(zip);
        zip.closeEntry();
    }

    /**
     * Loads every array in {@code file}, as {@link #load(Path, long)} with
     * {@link Npy#DEFAULT_MAX_BYTES}.
     */
    public static Map<String, Tensor> load(Path file) throws IOException {
        return load(file, Npy.DEFAULT_MAX_BYTES);
    }

    /**
     * Loads every array in {@code file}, named as {@code np.load} names them (the entry name without
     * {@code .npy}), into a {@link LinkedHashMap} in the archive's order. An entry that is not a
     * {@code .npy} file, a name occurring twice, a file that is not a zip archive, an entry
     * compressed by a method other than deflate (bzip2, LZMA, ...: the error names it), and every
     * error {@link Npy#load} reports are {@link IOException}s naming the file and the entry. Entry
     * names are UTF-8 where the entry's flag says so (as {@code np.savez} writes them), otherwise
     * IBM code page 437, as Python's {@code zipfile} reads them. A pipe or a device, whose size is
     * not known in advance, is read as {@link #read(InputStream, long)} reads a stream.
     *
     * <p>Each tensor is allocated once and filled as its entry is read. A compressed entry's size is
     * only a claim until it has been inflated, so the tensors read from compressed entries may take
     * at most {@code maxBytes} in total (8 bytes per float64 element, 4 per float32): a small archive
     * claiming a huge array
     * (a decompression bomb) is refused before anything is allocated. Stored entries ({@code
     * np.savez}, {@link #save}) lie in the file and are not limited.
     *
     * @throws IllegalArgumentException if {@code maxBytes} is negative
     */
    public static Map<String, Tensor> load(Path file, long maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("Npz.load: maxBytes must be >= 0, got " + maxBytes);
        }
        if (AtomicFiles.isStream(file)) {
            try (InputStream in = AtomicFiles.stream(file)) {
                return read(in, maxBytes, file.toString());
            }
        }
        try {
            return load(file, file.toString(), maxBytes, true);
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw AtomicFiles.interrupted(file, e);
        }
    }

    /**
     * {@link #load(Path, long)}, naming the archive {@code archive} in errors; where {@code inFile} is
     * false, stored entries count against {@code maxBytes} too (a stream's copy: its sizes were claims).
     */
    private static Map<String, Tensor> load(Path file, String archive, long maxBytes, boolean inFile) throws IOException {
        Opened opened = open(file, archive);
        try (ZipFile zip = opened.zip(); FileChannel channel = opened.channel()) {
            long fileSize = opened.size();
            ZipHeaders.checkNames(channel, fileSize, archive); // names are in no CRC: a flipped bit renames
            long left = maxBytes;
            long stored = 0; // stored entries' bytes: real only if they do not overlap, so they must fit the file
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry;
                try {
                    entry = entries.nextElement();
                } catch (IllegalArgumentException e) { // JDK 17 (later JDKs say ZipException): a name that is not UTF-8
                    throw new IOException(archive + ": corrupt: an entry's name cannot be decoded (" + e.getMessage() + ")", e);
                }
                String source = archive + ", entry '" + entry.getName() + "'";
                String name = arrayName(entry, source, tensors);
                boolean isStored = entry.getMethod() == ZipEntry.STORED;
                boolean real = isStored && inFile; // bytes that lie in the file, not claimed
                stored += isStored ? Math.max(entry.getCompressedSize(), 0) : 0;
                if (stored > fileSize) {
                    throw new IOException(source + ": corrupt: the stored entries claim " + stored + " bytes, more than"
                            + " the archive's " + fileSize + " (entries that overlap)");
                }
                if (!isStored && entry.getSize() > MAX_DEFLATE_RATIO * Math.min(entry.getCompressedSize(), fileSize) + 1024) {
                    throw new IOException(source + ": corrupt: it claims " + entry.getSize() + " bytes from "
                            + entry.getCompressedSize() + " compressed, more than deflate can produce");
                }
                CRC32 crc = new CRC32();
                Tensor t;
                try (InputStream in = new CheckedInputStream(zip.getInputStream(entry), crc)) {
                    // a stored entry's bytes are in a file; a deflated entry's size is only a claim
                    t = NpyFormat.read(in, source, entry.getSize(), real && entry.getSize() <= fileSize, left);
                }
                if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) { // the whole entry was read
                    throw new IOException(source + ": corrupt: CRC-32 of the entry is " + Long.toHexString(crc.getValue())
                            + ", the archive says " + Long.toHexString(entry.getCrc()));
                }
                left -= real ? 0 : (long) t.dtype().bytes() * t.numel();
                tensors.put(name, t);
            }
            return tensors;
        }
    }

    /** The array's name, as np.load gives it (the entry's name without .npy), checked to be new. */
    private static String arrayName(ZipEntry entry, String source, Map<String, Tensor> seen) throws IOException {
        if (entry.isDirectory() || !entry.getName().endsWith(".npy")) {
            throw new IOException(source + ": not a .npy array; an .npz archive holds only NAME.npy entries");
        }
        String name = entry.getName().substring(0, entry.getName().length() - ".npy".length());
        if (seen.containsKey(name)) {
            throw new IOException(source + ": the archive holds two entries of this name");
        }
        return name;
    }

    /** Zip's own encoding of names that do not have the UTF-8 flag set, in java.base. */
    private static final Charset CP437 = Charset.forName("IBM437");

    /** Deflate's largest expansion: about 1032 bytes out per byte in. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    /** An archive opened, with the size of the file it reads. */
    private record Opened(ZipFile zip, FileChannel channel, long size) {
    }

    /**
     * Opens {@code file} as a zip archive, with a channel to its bytes and its size. Both must be the file
     * the ZipFile reads: one replaced meanwhile (an atomic save, as AtomicFiles makes) is opened again, rather
     * than read with the other's size as "corrupt".
     */
    private static Opened open(Path file, String archive) throws IOException {
        for (int attempt = 0; ; attempt++) {
            BasicFileAttributes before = Files.readAttributes(file, BasicFileAttributes.class);
            FileChannel channel = FileChannel.open(file);
            ZipFile zip;
            try {
                zip = new ZipFile(file.toFile(), CP437); // names without the UTF-8 flag, as Python reads them
            } catch (ZipException | EOFException e) { // EOFException, without a message: an end record cut short
                channel.close();
                throw unreadable(file, archive, e);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
            if (sameFile(before, after)) { // the channel and the ZipFile read one file, of this size
                return new Opened(zip, channel, after.size());
            }
            zip.close();
            channel.close();
            if (attempt == 9) {
                throw new IOException(archive + ": the file was replaced while being opened, ten times in a row");
            }
        }
    }

    /** Whether two looks at a path saw one file: the same file key (where the system has them), size and time. */
    private static boolean sameFile(BasicFileAttributes a, BasicFileAttributes b) {
        return Objects.equals(a.fileKey(), b.fileKey()) && a.size() == b.size()
                && a.lastModifiedTime().equals(b.lastModifiedTime());
    }

    /**
     * The error for a file {@link ZipFile} refuses: an entry compressed by a method it cannot read
     * (named, as numpy reads bzip2 and LZMA entries), or not a zip archive at all.
     */
    private static IOException unreadable(Path file, String archive, IOException e) {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                int m = entry.getMethod();
                if (m != ZipEntry.STORED && m != ZipEntry.DEFLATED) {
                    return new IOException(archive + ", entry '" + entry.getName() + "': compression method " + m
                            + " (" + methodName(m) + ") is not supported; only stored (np.savez) and deflated"
                            + " (np.savez_compressed) entries are", e);
                }
            }
        } catch (IOException | RuntimeException notAZipEither) {
            // the general message below says what ZipFile found
        }
        return new IOException(archive + ": not an .npz file (a zip archive of .npy arrays), or truncated"
                + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
    }

    private static String methodName(int method) {
        return switch (method) {
            case 9 -> "deflate64";
            case 12 -> "bzip2";
            case 14 -> "LZMA";
            case 93 -> "Zstandard";
            case 95 -> "xz";
            case 98 -> "PPMd";
            case 99 -> "AES encryption";
            default -> "unknown";
        };
    }
}
