package io.github.jgrad.autodiff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The README and the docs folder, as the tests that keep them true read them. */
final class Docs {
    /** A link from the README to a document in docs/. */
    private static final Pattern DOC_LINK = Pattern.compile("\\]\\((docs/[a-z-]+\\.md)[)#]");

    private Docs() {
    }

    /** The repository root: the tests run in a module folder. */
    static Path root() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("README.md")) && Files.exists(p.resolve("autodiff-core"))) {
                return p;
            }
        }
        throw new IllegalStateException("no README.md above " + here);
    }

    /**
     * Every document in reading order, the order in which tested examples appear: the README, then
     * each document of docs/ in the order the README first links to it.
     */
    static List<String> files() {
        Set<String> files = new LinkedHashSet<>(List.of("README.md"));
        Matcher m = DOC_LINK.matcher(read("README.md"));
        while (m.find()) {
            files.add(m.group(1));
        }
        return List.copyOf(files);
    }

    /** One document's text, by its path from the root. */
    static String read(String file) {
        try {
            return Files.readString(root().resolve(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of every document, one after the other. */
    static List<String> lines() {
        List<String> all = new ArrayList<>();
        for (String f : files()) {
            all.addAll(read(f).lines().toList());
        }
        return all;
    }

    /** The text of every document, one after the other. */
    static String text() {
        return String.join("\n", lines()) + "\n";
    }
}
