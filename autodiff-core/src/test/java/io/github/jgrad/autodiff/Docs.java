package io.github.jgrad.autodiff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The README and the docs folder, as the tests that keep them true read them. */
final class Docs {
    /** Every document, in reading order: tested examples appear in this order. */
    static final List<String> FILES = List.of("README.md", "docs/guide.md", "docs/reference.md",
            "docs/correctness.md", "docs/benchmarks.md", "docs/contributing.md");

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
        for (String f : FILES) {
            all.addAll(read(f).lines().toList());
        }
        return all;
    }

    /** The text of every document, one after the other. */
    static String text() {
        return String.join("\n", lines()) + "\n";
    }
}
