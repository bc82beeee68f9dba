package io.github.jgrad.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.autodiff.GradCheck;
import io.github.jgrad.autodiff.Op;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's property-test example and checks that the README shows exactly this code: the
 * block after {@code <!-- tested in TestingReadmeTest -->} equals, line by line (ignoring
 * indentation), the region between {@code // begin README} and {@code // end README} below.
 */
class TestingReadmeTest {
    private static final String MARK = "<!-- tested in TestingReadmeTest -->";

    /**
     * The README, then each document of docs/ in the order the README first links to it: the order
     * in which tested examples appear (autodiff-core's Docs reads them the same way).
     */
    private static List<String> docLines() throws IOException {
        List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
        List<String> all = new ArrayList<>(readme);
        java.util.Set<String> seen = new java.util.HashSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\]\\((docs/[a-z-]+\\.md)[)#]")
                .matcher(String.join("\n", readme));
        while (m.find()) {
            if (seen.add(m.group(1))) {
                all.addAll(Files.readAllLines(Path.of("..").resolve(m.group(1))));
            }
        }
        return all;
    }

    @Test
    void propertyExample() {
        // begin README
        Op cube = Op.define("cube").unary(x -> x * x * x, (x, out) -> 3 * x * x).derivative("3 a^2").build();
        Property.forAll(ValueGraphs.builtin().with(cube).cases(3, 8)).tries(500).check(c -> {
            Property.assume(c.isSmooth());                 // no kink or large value near the point
            GradCheck.defaults().check(c.graph()::apply, c.point()).orThrow();
        });
        // end README
    }

    @Test
    void propertysJavadocExample() throws IOException {
        // begin Javadoc
        Property.forAll(ValueGraphs.builtin().cases(3, 8)).tries(500).check(c -> {
            Property.assume(c.isSmooth());
            GradCheck.defaults().check(c.graph()::apply, c.point()).orThrow();
        });
        // end Javadoc
        // the class Javadoc's example is this code (it once called a method Case does not have)
        List<String> source = Files.readAllLines(Path.of("src", "main", "java", "io", "github", "jgrad", "testing",
                "Property.java"));
        List<String> shown = new ArrayList<>();
        for (int j = source.indexOf(" * <pre>{@code") + 1; !source.get(j).equals(" * }</pre>"); j++) {
            shown.add(source.get(j).substring(2).strip());
        }
        assertEquals(region(Files.readAllLines(Path.of("src", "test", "java", "io", "github", "jgrad", "testing",
                "TestingReadmeTest.java")), "Javadoc"), shown);
    }

    /** The lines between {@code // begin NAME} and {@code // end NAME}, stripped. */
    private static List<String> region(List<String> lines, String name) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : lines) {
            String t = line.strip();
            if (t.equals("// end " + name)) {
                break;
            }
            if (in) {
                out.add(t);
            }
            in |= t.equals("// begin " + name);
        }
        return out;
    }

    @Test
    void readmeShowsExactlyThisExample() throws IOException {
        List<String> readme = docLines();
        List<String> self = Files.readAllLines(Path.of("src", "test", "java", "io", "github", "jgrad", "testing",
                "TestingReadmeTest.java"));
        int mark = readme.indexOf(MARK);
        List<String> shown = new ArrayList<>();
        for (int j = mark + 2; !readme.get(j).equals("```"); j++) { // skip the ```java fence
            shown.add(readme.get(j).strip());
        }
        assertEquals(region(self, "README"), shown);
    }
}
