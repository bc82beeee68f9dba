package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every relative link in the README and the docs leads to a file that exists, and to a heading in it. */
class DocsLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void everyLinkResolves() {
        Path root = Docs.root();
        List<String> broken = new ArrayList<>();
        for (String file : Docs.files()) {
            Matcher m = LINK.matcher(Docs.read(file));
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("http://") || target.startsWith("https://")) {
                    continue;
                }
                int hash = target.indexOf('#');
                String path = hash < 0 ? target : target.substring(0, hash);
                Path resolved = path.isEmpty() ? root.resolve(file) : root.resolve(file).getParent().resolve(path).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(file + ": " + target + " (no such file)");
                } else if (hash >= 0 && !anchors(root.relativize(resolved).toString()).contains(target.substring(hash + 1))) {
                    broken.add(file + ": " + target + " (no such heading)");
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    @Test
    void theReadmeLinksEveryDocument() throws java.io.IOException {
        Set<String> docs = new java.util.TreeSet<>();
        try (java.util.stream.Stream<Path> files = Files.list(Docs.root().resolve("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).forEach(f -> docs.add("docs/" + f.getFileName()));
        }
        docs.removeAll(Docs.files());
        assertEquals(Set.of(), docs, "documents the README does not link to (the doc tests would not read them)");
    }

    /** GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces as hyphens. */
    private static Set<String> anchors(String file) {
        Set<String> out = new HashSet<>();
        for (String line : Docs.read(file.replace('\\', '/')).lines().toList()) {
            if (line.startsWith("#")) {
                String title = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
                out.add(title.replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
            }
        }
        return out;
    }
}
