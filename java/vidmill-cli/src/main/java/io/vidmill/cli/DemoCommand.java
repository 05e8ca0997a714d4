package io.vidmill.cli;

import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.decode.Status;
import io.vidmill.synth.SyntheticClip;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo",
    description = {
        "Decodes a small built-in sample set (made by the build with vidmill's own encoders:",
        "H.264, VP9, MPEG-4, AV1 in MP4, WebM, Matroska and QuickTime, plus three broken files)",
        "on every core, and prints what it found and how fast."})
final class DemoCommand implements Callable<Integer> {
  /** The sample set: fixed, so that every machine decodes the same clips. */
  record Sample(String name, SyntheticClip clip, Status expected) {}

  static final List<Sample> SAMPLES = samples();

  @Spec CommandSpec spec;

  @Option(names = "--samples", paramLabel = "DIR",
      description = "Where the sample clips are (made there when missing).")
  Path samplesDir;

  @Option(names = "--generate-only", description = "Make the sample clips and stop.")
  boolean generateOnly;

  @Option(names = "--workers", paramLabel = "N",
      description = "Clips decoded at once (default: one per core).")
  int workers = Runtime.getRuntime().availableProcessors();

  private static List<Sample> samples() {
    List<Sample> s = new ArrayList<>();
    String[] patterns = {"testsrc2", "mandelbrot", "smptehdbars"};
    for (int i = 0; i < 12; i++) {
      s.add(new Sample(String.format("h264_360p_%02d.mp4", i),
          SyntheticClip.h264(640, 360, 30, 2, i).withPattern(patterns[i % 3]), Status.EOF));
    }
    s.add(new Sample("h264_720p_00.mp4", SyntheticClip.h264(1280, 720, 30, 3, 100), Status.EOF));
    s.add(new Sample("h264_720p_01.mov", SyntheticClip.h264(1280, 720, 25, 2, 101), Status.EOF));
    s.add(new Sample("h264_portrait_00.mp4", SyntheticClip.h264(360, 640, 30, 2, 102), Status.EOF));
    for (int i = 0; i < 3; i++) {
      s.add(new Sample(String.format("vp9_270p_%02d.webm", i),
          SyntheticClip.h264(480, 270, 24, 2, 200 + i).withEncoder("libvpx-vp9"), Status.EOF));
    }
    for (int i = 0; i < 2; i++) {
      s.add(new Sample(String.format("mpeg4_240p_%02d.mkv", i),
          SyntheticClip.h264(320, 240, 25, 2, 300 + i).withEncoder("mpeg4"), Status.EOF));
    }
    for (int i = 0; i < 2; i++) {
      s.add(new Sample(String.format("av1_180p_%02d.mp4", i),
          SyntheticClip.h264(320, 180, 24, 1, 400 + i).withEncoder("libaom-av1"), Status.EOF));
    }
    // broken on purpose: every run must survive these and name them
    s.add(new Sample("broken_truncated.mp4", null, Status.TRUNCATED));
    s.add(new Sample("broken_not_a_video.mp4", null, Status.NOT_A_VIDEO));
    s.add(new Sample("broken_empty.mp4", null, Status.EMPTY));
    return List.copyOf(s);
  }

  static Path defaultSamplesDir() {
    String home = System.getProperty("vidmill.home");
    if (home != null) return Path.of(home, "java", "vidmill-cli", "target", "demo-clips");
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return cache.resolve("vidmill").resolve("demo-clips");
  }

  /** Makes the missing sample clips; returns how many were made. */
  static int generate(Path dir) throws IOException {
    Files.createDirectories(dir);
    int made = 0;
    Path source = null;
    for (Sample s : SAMPLES) {
      Path p = dir.resolve(s.name());
      if (s.clip() != null) {
        if (!Files.exists(p)) {
          s.clip().write(p);
          made++;
        }
        if (source == null) source = p;
      }
    }
    Path truncated = dir.resolve("broken_truncated.mp4");
    if (!Files.exists(truncated)) {
      byte[] bytes = Files.readAllBytes(source);
      writeAtomically(truncated, java.util.Arrays.copyOf(bytes, bytes.length * 3 / 5));
      made++;
    }
    Path text = dir.resolve("broken_not_a_video.mp4");
    if (!Files.exists(text)) {
      writeAtomically(text, "This placeholder was saved with a .mp4 name but holds text.\n".getBytes());
      made++;
    }
    Path empty = dir.resolve("broken_empty.mp4");
    if (!Files.exists(empty)) {
      writeAtomically(empty, new byte[0]);
      made++;
    }
    return made;
  }

  private static void writeAtomically(Path p, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(p.getParent(), p.getFileName().toString(), ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  record Outcome(Sample sample, ClipInfo info, Status status, String message, long frames, long nanos) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Main.requireNative(err)) return Main.EXIT_FATAL;
    Path dir = samplesDir != null ? samplesDir : defaultSamplesDir();
    long t0 = System.nanoTime();
    int made = generate(dir);
    if (made > 0) {
      out.printf(Locale.ROOT, "made %d sample clips in %s (%.1f s)%n", made, dir, (System.nanoTime() - t0) / 1e9);
    }
    if (generateOnly) return Main.EXIT_OK;

    out.printf(Locale.ROOT, "decoding %d clips from %s with %d workers, one decoder thread each%n",
        SAMPLES.size(), dir, workers);
    long start = System.nanoTime();
    List<Outcome> outcomes = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, workers))) {
      List<Future<Outcome>> futures = new ArrayList<>();
      for (Sample s : SAMPLES) futures.add(pool.submit(() -> decode(dir, s)));
      for (Future<Outcome> f : futures) outcomes.add(f.get());
    }
    double wall = (System.nanoTime() - start) / 1e9;

    out.printf("%-26s %-6s %-10s %-12s %7s %9s  %s%n", "clip", "codec", "size", "pix_fmt", "frames", "ms", "result");
    long frames = 0;
    int ok = 0;
    int asExpected = 0;
    for (Outcome o : outcomes) {
      frames += o.frames();
      if (o.status() == Status.EOF) ok++;
      if (o.status() == o.sample().expected()) asExpected++;
      String size = o.info().width() > 0 ? o.info().width() + "x" + o.info().height() : "-";
      String result = o.status() == Status.EOF ? "ok" : o.status().name() + ": " + o.message();
      out.printf(Locale.ROOT, "%-26s %-6s %-10s %-12s %7d %9.1f  %s%n", o.sample().name(),
          o.info().codec().isEmpty() ? "-" : o.info().codec(), size,
          o.info().pixFmt().isEmpty() ? "-" : o.info().pixFmt(), o.frames(), o.nanos() / 1e6, result);
      if (o.status().isError()) {
        err.println(Main.errorLine(o.status().name(), dir.resolve(o.sample().name()).toString(), o.message()));
      }
    }
    out.printf(Locale.ROOT, "%nsummary: %d clips, %d decoded, %d failed (%d of them broken on purpose),"
            + " %d frames in %.2f s: %.0f frames/s, %.1f clips/s%n",
        outcomes.size(), ok, outcomes.size() - ok,
        outcomes.stream().filter(o -> o.sample().clip() == null && o.status() == o.sample().expected()).count(),
        frames, wall, frames / wall, outcomes.size() / wall);
    if (asExpected != outcomes.size()) {
      out.println("UNEXPECTED: some clips did not end as the demo expects (see above)");
      return Main.EXIT_CLIPS_FAILED;
    }
    out.println("every clip ended as expected");
    return Main.EXIT_OK;
  }

  private static Outcome decode(Path dir, Sample s) {
    long t0 = System.nanoTime();
    OpenOptions options = OpenOptions.DEFAULTS.withThreads(1).withTimeout(java.time.Duration.ofSeconds(60));
    try (Clip clip = Clip.open(Source.of(dir.resolve(s.name())), options);
         FrameBatch batch = FrameBatch.allocate(16)) {
      DecodeResult r = clip.decodeAll(batch, f -> {});
      return new Outcome(s, clip.info(), r.status(), r.message(), r.frames(), System.nanoTime() - t0);
    } catch (ClipException e) {
      return new Outcome(s, e.info(), e.status(), e.detail(), 0, System.nanoTime() - t0);
    }
  }
}
