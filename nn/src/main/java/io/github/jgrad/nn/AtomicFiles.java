package io.github.jgrad.nn;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file atomically: the content goes to a new temporary file in the same directory, is
 * forced to the device, and is then renamed over the target. Readers, and the file after a crash,
 * see either the old content or the new, never a mixture; on failure the temporary file is deleted.
 * The loaders' helpers for what is not a regular file (pipes, devices) and for interrupted reads
 * live here too.
 */
final class AtomicFiles {
    /** Writes a file's content; it may close the stream it is given. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Whether a loader must read {@code file} as a stream: a pipe or a device has no size to check
     * the data against (a pipe's is 0, which would read as a truncated file). A directory is an error;
     * a missing file is left to the loader's own {@link NoSuchFileException}.
     */
    static boolean isStream(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a directory, not a file");
        }
        return Files.exists(file) && !Files.isRegularFile(file);
    }

    /**
     * An interrupted read, named: a channel read by an interrupted thread throws an exception without a
     * message. The thread's interrupt status stays set.
     */
    static InterruptedIOException interrupted(Object source, IOException e) {
        InterruptedIOException named = new InterruptedIOException(source + ": the thread was interrupted"
                + " while reading; nothing was loaded");
        named.initCause(e);
        return named;
    }

    /**
     * A stream of a pipe or device that never asks for a position, which a pipe does not have
     * ("Illegal seek"): a channel's stream asks in {@code available()}, which buffered and gzip
     * readers call, and JDK 17's {@link FileInputStream#readNBytes(int)} asks too; a buffered
     * stream over a {@link FileInputStream} reads plainly and asks the system what is available.
     */
    static InputStream stream(Path file) throws IOException {
        return new BufferedInputStream(new FileInputStream(file.toFile()), 1 << 16);
    }

    /**
     * The longest start of {@code name} that is at most {@code maxBytes} bytes in UTF-8, cut between
     * code points: the temporary file's name must fit the file system's limit (255 bytes) wherever
     * the target's does, whatever the script.
     */
    static String prefix(String name, int maxBytes) {
        int bytes = 0;
        int end = 0;
        while (end < name.length()) {
            int cp = name.codePointAt(end);
            bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes > maxBytes) {
                break;
            }
            end += Character.charCount(cp);
        }
        return name.substring(0, end);
    }

    /**
     * Writes {@code file} atomically. The new file gets the default permissions of a newly created
     * file (those of a replaced file are not copied), and a symbolic link at {@code file} is replaced
     * by a regular file. Where the file system cannot rename atomically
     * ({@link AtomicMoveNotSupportedException}), the temporary file replaces the target by an ordinary
     * move, which still never exposes a partly written file under the target's name on local file
     * systems but may leave no file at all after a crash at that moment.
     */
    static void write(Path file, Content content) throws IOException {
        Path target = file.toAbsolutePath();
        if (Files.isDirectory(target)) { // the root too, which has no parent
            throw new IOException(file + ": cannot save: is a directory");
        }
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(file.toString(), null, "cannot save: no such directory " + dir);
        }
        String name = target.getFileName().toString();
        Path tmp = dir.resolve("." + prefix(name, 100) + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, CREATE_NEW, WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.writeTo(new Unclosable(out));
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(tmp, target, ATOMIC_MOVE, REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, REPLACE_EXISTING);
            }
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                t.addSuppressed(e);
            }
            if (t instanceof IOException && (t.getMessage() == null || !t.getMessage().startsWith(file.toString()))) {
                // a full disk, a lost device: say which save failed (the cause keeps the original)
                throw new IOException(file + ": cannot save: " + t, t);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /** Makes the rename durable where the platform can sync a directory (Linux, macOS; not Windows). */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, READ)) {
            channel.force(true);
        } catch (IOException e) {
            // not supported here: the rename becomes durable whenever the OS writes the directory
        }
    }

    /** Passes writes through in bulk; close() only flushes, so content may close wrapping streams. */
    private static final class Unclosable extends FilterOutputStream {
        Unclosable(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
