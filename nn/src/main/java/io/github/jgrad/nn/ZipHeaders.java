package io.github.jgrad.nn;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The one check of a zip archive that {@link java.util.zip.ZipFile} leaves out and numpy's
 * {@code zipfile} makes: each entry's name in the central directory is the name in its own local
 * header. An archive's names are not covered by its CRCs, so without it a flipped bit in the
 * directory renames an array silently. ZipFile has already checked the directory's structure; this
 * reads it once more for the local headers' offsets (zip64 ones included).
 */
final class ZipHeaders {
    private static final int END = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_END = 0x06064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;

    private ZipHeaders() {
    }

    /**
     * Compares every central-directory name of the archive in {@code ch} ({@code size} bytes) with its
     * local header's.
     *
     * @throws IOException naming {@code archive} and both names where they differ
     */
    static void checkNames(FileChannel ch, long size, String archive) throws IOException {
        int tail = (int) Math.min(size, 22 + 0xFFFF); // the end record, and a comment of at most 65535 bytes
        ByteBuffer end = read(ch, size - tail, tail, archive);
        int at = tail - 22;
        while (at >= 0 && !(end.getInt(at) == END && at + 22 + (end.getShort(at + 20) & 0xFFFF) == tail)) {
            at--; // the end record is the one whose comment ends the file (a signature inside a comment is not)
        }
        if (at < 0) {
            return; // ZipFile read the archive another way: nothing more to compare
        }
        long count = end.getShort(at + 10) & 0xFFFF;
        long directorySize = end.getInt(at + 12) & 0xFFFFFFFFL;
        long directory = end.getInt(at + 16) & 0xFFFFFFFFL;
        if ((count == 0xFFFF || directorySize == 0xFFFFFFFFL || directory == 0xFFFFFFFFL) && at >= 20
                && end.getInt(at - 20) == ZIP64_LOCATOR) {
            long recordAt = end.getLong(at - 20 + 8);
            ByteBuffer record = recordAt >= 0 && recordAt <= size - 56 ? read(ch, recordAt, 56, archive) : null;
            if (record != null && record.getInt(0) == ZIP64_END) {
                directorySize = record.getLong(40);
                directory = record.getLong(48);
            }
        }
        if (directorySize > Integer.MAX_VALUE - 8 || directory < 0 || directory > size - directorySize) {
            return; // not where ZipFile found it (or more than a buffer holds): left to ZipFile's checks
        }
        ByteBuffer cd = read(ch, directory, (int) directorySize, archive);
        for (int p = 0; p + 46 <= cd.limit() && cd.getInt(p) == CENTRAL; ) {
            int nameLength = cd.getShort(p + 28) & 0xFFFF;
            int extraLength = cd.getShort(p + 30) & 0xFFFF;
            int commentLength = cd.getShort(p + 32) & 0xFFFF;
            if (p + 46 + nameLength + extraLength + commentLength > cd.limit()) {
                throw new IOException(archive + ": corrupt: an entry of the archive's directory runs past its end");
            }
            byte[] name = new byte[nameLength];
            cd.get(p + 46, name);
            long local = cd.getInt(p + 42) & 0xFFFFFFFFL;
            if (local == 0xFFFFFFFFL) {
                local = zip64Offset(cd, p, nameLength, extraLength);
            }
            if (local < 0 || local > size - 30 - nameLength) {
                throw new IOException(archive + ": corrupt: the directory puts entry '"
                        + new String(name, StandardCharsets.UTF_8) + "' at offset " + local + ", outside the archive");
            }
            ByteBuffer header = read(ch, local, 30 + nameLength, archive);
            byte[] own = new byte[Math.min(header.getShort(26) & 0xFFFF, nameLength)];
            header.get(30, own);
            if (header.getInt(0) != LOCAL || (header.getShort(26) & 0xFFFF) != nameLength || !Arrays.equals(name, own)) {
                throw new IOException(archive + ": corrupt: the directory lists an entry '"
                        + new String(name, StandardCharsets.UTF_8) + "' whose own header " + (header.getInt(0) != LOCAL
                        ? "is not at offset " + local : "names '" + new String(own, StandardCharsets.UTF_8) + "'"));
            }
            p += 46 + nameLength + extraLength + commentLength;
        }
    }

    /** The local header's offset from an entry's zip64 extra field (after the sizes the entry moved there). */
    private static long zip64Offset(ByteBuffer cd, int p, int nameLength, int extraLength) {
        int skip = ((cd.getInt(p + 24) & 0xFFFFFFFFL) == 0xFFFFFFFFL ? 8 : 0)     // uncompressed size
                + ((cd.getInt(p + 20) & 0xFFFFFFFFL) == 0xFFFFFFFFL ? 8 : 0);    // compressed size
        for (int e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength; ) {
            int id = cd.getShort(e) & 0xFFFF;
            int length = cd.getShort(e + 2) & 0xFFFF;
            if (id == 0x0001 && skip + 8 <= length && e + 4 + skip + 8 <= cd.limit()) {
                return cd.getLong(e + 4 + skip);
            }
            e += 4 + length;
        }
        return -1; // no zip64 field to give it: refused as outside the archive
    }

    /** {@code n} bytes of {@code ch} from {@code position}, little-endian. */
    private static ByteBuffer read(FileChannel ch, long position, int n, String archive) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new EOFException(archive + ": corrupt: the archive ends inside a header at offset " + position);
            }
        }
        return b.clear();
    }
}
