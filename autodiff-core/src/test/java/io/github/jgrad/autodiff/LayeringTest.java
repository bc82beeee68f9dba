package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiler holds the layering: the kernels' package ({@code internal}) compiles on its own, with
 * only the third-party jars on the class path, so nothing in it can refer to Tensor, Value or any
 * other class of the engine above it.
 */
class LayeringTest {
    private static final Path INTERNAL = Path.of("src", "main", "java", "io", "github", "jgrad", "autodiff", "internal");

    @Test
    void theKernelsPackageCompilesWithoutTheEngine(@TempDir Path out) throws IOException {
        List<String> sources;
        try (Stream<Path> files = Files.list(INTERNAL)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).collect(Collectors.toList());
        }
        assertTrue(sources.size() >= 3, "kernels, shapes and matmul are in " + INTERNAL);
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> jars = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.endsWith(".jar")) { // third-party jars only: no target/classes, no sources
                jars.add(entry);
            }
        }
        assertFalse(jars.isEmpty(), "no jars on the test class path: " + classPath);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "tests run on a JDK");
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "-proc:none", "-implicit:none",
                "-sourcepath", out.toString(), "-classpath", String.join(File.pathSeparator, jars)));
        args.addAll(sources);
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = javac.run(null, null, errors, args.toArray(new String[0]));
        assertEquals(0, status, "the internal package must compile on its own: "
                + errors.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theEnginesClassesAreNotOnTheJarClassPath() {
        // the check above would pass vacuously if the engine came in through a jar
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : classPath.split(File.pathSeparator)) {
            assertFalse(entry.endsWith(".jar") && entry.contains("autodiff-core"), entry);
        }
    }

    @Test
    void theReadmesLayoutTableListsEveryFileOfTheCore() throws IOException {
        String doc = Docs.read("docs/contributing.md");
        int start = doc.indexOf("## Layout of autodiff-core");
        assertTrue(start >= 0, "docs/contributing.md has no layout section");
        int end = doc.indexOf("\n## ", start + 1);
        String section = doc.substring(start, end < 0 ? doc.length() : end);
        Path root = Path.of("src", "main", "java", "io", "github", "jgrad", "autodiff");
        Set<String> files = new TreeSet<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> p.toString().endsWith(".java") && !p.endsWith("package-info.java"))
                    .forEach(p -> files.add(root.relativize(p).toString().replace(File.separatorChar, '/')));
        }
        Set<String> listed = new TreeSet<>();
        Matcher m = Pattern.compile("`([A-Za-z0-9/]+\\.java)`").matcher(section);
        while (m.find()) {
            listed.add(m.group(1));
        }
        assertEquals(files, listed, "docs/contributing.md's layout table and the files of autodiff-core differ");
    }
}
