package io.vidmill.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the vidmill CLI in a JVM of its own, as a user would, from the test classpath. */
final class Subprocess {
  private Subprocess() {}

  static ProcessBuilder vidmill(Path log, List<String> jvmArgs, String... args) {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", cp, Main.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
  }

  /** Peak resident memory (VmHWM) of a live process, in bytes; 0 once it is gone. */
  static long peakRss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }
}
