package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The images' rules, which no Docker engine here can check by building: what CI's Dockerfile
 * lint (syntax, instructions) does not know about. The build steps themselves run in CI
 * (docker/build-steps.sh ci).
 */
class DockerfilesTest {
  static final Path DOCKER = Path.of("../../docker").toAbsolutePath().normalize();

  /** Instructions with their continuation lines joined, comments dropped. */
  static List<String> instructions(Path dockerfile) throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : Files.readAllLines(dockerfile)) {
      String t = line.strip();
      if (t.startsWith("#") || t.isEmpty()) continue;
      if (t.endsWith("\\")) {
        cur.append(t, 0, t.length() - 1).append(' ');
        continue;
      }
      out.add(cur.append(t).toString());
      cur.setLength(0);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile", "Dockerfile.cuda"})
  void imagesFollowTheRules(String name) throws IOException {
    List<String> all = instructions(DOCKER.resolve(name));
    String steps = Files.readString(DOCKER.resolve("build-steps.sh"));
    int lastFrom = 0;
    List<String> stages = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      String ins = all.get(i);
      if (ins.startsWith("FROM ")) {
        lastFrom = i;
        String[] words = ins.split("\\s+");
        if (!stages.contains(words[1])) {
          assertThat(words[1]).as("a tagged base image").contains(":").doesNotEndWith(":latest");
        }
        if (words.length == 4) stages.add(words[3]);
      }
      if (ins.startsWith("RUN ") && ins.contains("apt-get install")) {
        assertThat(ins).contains("--no-install-recommends").contains("rm -rf /var/lib/apt/lists/*");
      }
      // every build step is one of build-steps.sh's, which CI runs too
      Matcher m = Pattern.compile("build-steps(?:\\.sh)? (\\w+)").matcher(ins);
      while (m.find()) assertThat(steps).as("step " + m.group(1)).contains("  " + m.group(1) + ")");
    }
    List<String> runtime = all.subList(lastFrom, all.size());
    assertThat(runtime.getFirst()).endsWith(" AS runtime");
    List<String> users = runtime.stream().filter(s -> s.startsWith("USER ")).toList();
    assertEquals("USER 10001:10001", users.getLast(), "the image runs as the uid the Kubernetes Jobs expect");
    assertThat(runtime).contains("ENTRYPOINT [\"/opt/vidmill/bin/vidmill\"]", "CMD [\"demo\"]");
    assertThat(runtime).anyMatch(s -> s.startsWith("ENV ") && s.contains("JAVA_HOME=/opt/vidmill/jre")
        && s.contains("PATH=/opt/vidmill/bin:"));
    assertThat(runtime).anyMatch(s -> s.startsWith("COPY --from=build /opt/vidmill /opt/vidmill"));
    assertThat(all).anyMatch(s -> s.equals("FROM build AS test"));
    if (name.endsWith(".cuda")) {
      assertThat(runtime).anyMatch(s -> s.contains("NVIDIA_DRIVER_CAPABILITIES=compute,utility,video"));
    }
  }
}
