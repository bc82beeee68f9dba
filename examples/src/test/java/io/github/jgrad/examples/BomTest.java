package io.github.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The BOM (bom/pom.xml, which has no parent, so its versions are written out) names exactly the
 * published artifacts, at the build's version: every module but the ones marked not to deploy.
 */
class BomTest {
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([^<]+)</artifactId>");
    private static final Pattern VERSION = Pattern.compile("<version>([^<]+)</version>");

    @Test
    void bomListsEveryPublishedArtifactAtTheBuildsVersion() throws IOException {
        Path root = Path.of("..");
        String parent = Files.readString(root.resolve("pom.xml"));
        String version = first(VERSION, parent);
        List<String> published = new ArrayList<>();
        Matcher modules = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
        while (modules.find()) {
            String pom = Files.readString(root.resolve(modules.group(1)).resolve("pom.xml"));
            String id = all(ARTIFACT, pom).get(pom.contains("<parent>") ? 1 : 0);
            if (!pom.contains("<maven.deploy.skip>true</maven.deploy.skip>") && !id.equals("jgrad-bom")) {
                published.add(id);
            }
        }
        String bom = Files.readString(root.resolve("bom/pom.xml"));
        String managed = bom.substring(bom.indexOf("<dependencyManagement>"), bom.indexOf("</dependencyManagement>"));
        assertEquals(published, all(ARTIFACT, managed), "artifacts in the BOM");
        assertEquals(version, first(VERSION, bom), "the BOM's own version");
        for (String v : all(VERSION, managed)) {
            assertEquals(version, v, "a version in the BOM");
        }
    }

    private static String first(Pattern p, String s) {
        return all(p, s).get(0);
    }

    private static List<String> all(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
