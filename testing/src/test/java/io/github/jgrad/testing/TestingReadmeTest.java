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

    /** The README, then the docs, in the order their tested examples appear. */
    private static List<String> docLines() throws IOException {
        List<String> all = new ArrayList<>();
        for (String f : new String[] {"README.md", "docs/guide.md", "docs/reference.md", "docs/correctness.md",
            "docs/benchmarks.md", "docs/contributing.md"}) {
            all.addAll(Files.readAllLines(Path.of("..").resolve(f)));
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
    void readmeShowsExactlyThisExample() throws IOException {
        List<String> readme = docLines();
        List<String> self = Files.readAllLines(Path.of("src", "test", "java", "io", "github", "jgrad", "testing",
                "TestingReadmeTest.java"));
        int mark = readme.indexOf(MARK);
        List<String> shown = new ArrayList<>();
        for (int j = mark + 2; !readme.get(j).equals("```"); j++) { // skip the ```java fence
            shown.add(readme.get(j).strip());
        }
        List<String> tested = new ArrayList<>();
        boolean in = false;
        for (String line : self) {
            String t = line.strip();
            if (t.equals("// end README")) {
                break;
            }
            if (in) {
                tested.add(t);
            }
            in |= t.equals("// begin README");
        }
        assertEquals(tested, shown);
    }
}
