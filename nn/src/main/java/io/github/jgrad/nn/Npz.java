package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * @throws IllegalArgumentException for a null or empty name or a null tensor
     */
    public static void save(Path file, Map<String, Tensor> tensors) throws IOException {
        Objects.requireNonNull(tensors, "tensors");
        AtomicFiles.write(file, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    writeEntry(zip, file, e.getKey(), e.getValue());
                }
            }
        });
    }

    private static void writeEntry(ZipOutputStream zip, Path file, String name, Tensor t) throws IOException {
        if (name == null || name.isEmpty() || t == null) {
            throw new IllegalArgumentException(file + ": cannot save " + (t == null ? "a null tensor" : "a tensor")
                    + " under the name " + (name == null ? "null" : "'" + name + "'")
                    + (name == null || name.isEmpty() ? ": names must be non-empty strings" : ""));
        }
        int[] shape = t.shape();
        double[] data = t.toArray();
        byte[] header = NpyFormat.header(shape);
        CRC32 crc = new CRC32(); // a stored entry's CRC and size precede its data: one pass to compute them
        crc.update(header);
        NpyFormat.writeData(data, new CheckedOutputStream(OutputStream.nullOutputStream(), crc));
        ZipEntry entry = new ZipEntry(name + ".npy");
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(header.length + 8L * data.length);
        entry.setCompressedSize(entry.getSize());
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(header);
        NpyFormat.writeData(data, zip);
        zip.closeEntry();
    }

    /**
     * Loads every array in {@code file}, named as {@code np.load} names them (the entry name without
     * {@code .npy}), into a {@link LinkedHashMap} in the archive's order. An entry that is not a
     * {@code .npy} file, a name occurring twice, a file that is not a zip archive, and every error
     * {@link Npy#load} reports are {@link IOException}s naming the file and the entry.
     */
    public static Map<String, Tensor> load(Path file) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new IOException(file + ": not an .npz file (a zip archive of .npy arrays), or truncated: "
                    + e.getMessage(), e);
        }
        try (zip) {
            long fileSize = Files.size(file);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String source = file + ", entry '" + entry.getName() + "'";
                if (entry.isDirectory() || !entry.getName().endsWith(".npy")) {
                    throw new IOException(source + ": not a .npy array; an .npz file holds only NAME.npy entries");
                }
                String name = entry.getName().substring(0, entry.getName().length() - ".npy".length());
                if (tensors.containsKey(name)) {
                    throw new IOException(source + ": the archive holds two entries of this name");
                }
                CRC32 crc = new CRC32();
                try (InputStream in = new CheckedInputStream(zip.getInputStream(entry), crc)) {
                    // a stored entry's bytes are in the file; a deflated entry's size is only a claim
                    boolean real = entry.getMethod() == ZipEntry.STORED && entry.getSize() <= fileSize;
                    tensors.put(name, NpyFormat.read(in, source, entry.getSize(), real));
                }
                if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) { // the whole entry was read
                    throw new IOException(source + ": corrupt: CRC-32 of the entry is " + Long.toHexString(crc.getValue())
                            + ", the archive says " + Long.toHexString(entry.getCrc()));
                }
            }
            return tensors;
        }
    }
}
