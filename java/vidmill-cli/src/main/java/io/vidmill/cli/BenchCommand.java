package io.vidmill.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Sampling;
import io.vidmill.decode.Source;
import io.vidmill.synth.SyntheticClip;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Measures this machine: how long opening a clip costs, how fast clips decode. The scripts in
 * bench/ run these side by side with ffmpeg, PyAV, OpenCV and JavaCV on the same files. Each
 * command ends with a line "RESULT {json}" for scripts.
 */
@Command(name = "bench",
    description = "Measures decode speed and per-clip overhead on this machine (see bench/).",
    subcommands = {BenchCommand.Corpus.class, BenchCommand.Open.class, BenchCommand.Decode.class,
        BenchServeCommand.class})
final class BenchCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  static void result(PrintWriter out, ObjectNode node) {
    try {
      out.println("RESULT " + JSON.writeValueAsString(node));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static double processCpuSeconds() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean b ? b.getProcessCpuTime() / 1e9 : Double.NaN;
  }

  @Command(name = "corpus", description = "Makes N synthetic clips (test patterns) for a benchmark.")
  static final class Corpus implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
    @Option(names = "--count", defaultValue = "100") int count;
    @Option(names = "--size", defaultValue = "640x360", paramLabel = "WxH") String size;
    @Option(names = "--seconds", defaultValue = "2") double seconds;
    @Option(names = "--fps", defaultValue = "30") int fps;
    @Option(names = "--encoder", defaultValue = "libopenh264") String encoder;
    @Option(names = "--bitrate", defaultValue = "0", paramLabel = "KBPS",
        description = "Target bit rate (default: the encoder's).") int bitrateKbps;
    @Option(names = "--extension", defaultValue = "mp4") String extension;
    @Option(names = "--gop", paramLabel = "SECONDS", defaultValue = "1",
        description = "Seconds between key frames (default: ${DEFAULT-VALUE}).") double gopSeconds;
    @Option(names = "--workers", paramLabel = "N") int workers = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
      if (!Main.requireNative(spec.commandLine().getErr())) return Main.EXIT_FATAL;
      String[] wh = size.split("x");
      int w = Integer.parseInt(wh[0]);
      int h = Integer.parseInt(wh[1]);
      Files.createDirectories(out);
      String[] patterns = {"testsrc2", "mandelbrot", "smptehdbars"};
      AtomicInteger made = new AtomicInteger();
      try (ExecutorService pool = Executors.newFixedThreadPool(workers)) {
        List<Future<?>> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          int seed = i;
          Path p = out.resolve(gopSeconds == 1 ? String.format("clip_%s_%05d.%s", size, i, extension)
              : String.format("clip_%s_gop%s_%05d.%s", size, BigDecimal.valueOf(gopSeconds).stripTrailingZeros()
                  .toPlainString(), i, extension));
          if (Files.exists(p)) continue;
          jobs.add(pool.submit(() -> {
            SyntheticClip c = SyntheticClip.h264(w, h, fps, seconds, seed).withEncoder(encoder)
                .withPattern(patterns[seed % patterns.length]);
            int gop = Math.max(1, (int) Math.round(gopSeconds * fps));
            new SyntheticClip(c.width(), c.height(), c.fpsNum(), c.fpsDen(), c.frames(), gop, bitrateKbps,
                c.seed(), c.encoder(), c.pattern(), c.pixFmt()).write(p);
            made.incrementAndGet();
          }));
        }
        for (Future<?> j : jobs) j.get();
      }
      spec.commandLine().getOut().printf("made %d clips in %s%n", made.get(), out);
      return Main.EXIT_OK;
    }
  }

  @Command(name = "open", description = "Opens and closes each clip (no decoding): ms per clip.")
  static final class Open implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE") List<Path> files;
    @Option(names = "--repeat", defaultValue = "5", description = "Rounds over the files; the first one warms up.")
    int repeat;
    @Option(names = "--threads", defaultValue = "1", description = "Decoder threads per clip (0 = FFmpeg's choice).")
    int threads;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      if (!Main.requireNative(spec.commandLine().getErr())) return Main.EXIT_FATAL;
      OpenOptions options = OpenOptions.DEFAULTS.withThreads(threads);
      long nanos = 0;
      long clips = 0;
      int failed = 0;
      for (int round = 0; round < Math.max(2, repeat); round++) {
        long t0 = System.nanoTime();
        for (Path f : files) {
          try (Clip c = Clip.open(Source.of(f), options)) {
            c.info();
          } catch (ClipException e) {
            failed++;
          }
        }
        if (round > 0) {
          nanos += System.nanoTime() - t0;
          clips += files.size();
        }
      }
      double ms = nanos / 1e6 / clips;
      out.printf(Locale.ROOT, "open+close: %.3f ms per clip (%d clips, threads=%d)%n", ms, clips, threads);
      ObjectNode r = JSON.createObjectNode().put("ms_per_clip", ms).put("clips", clips).put("failed", failed);
      result(out, r);
      return failed == 0 ? Main.EXIT_OK : Main.EXIT_CLIPS_FAILED;
    }
  }

  @Command(name = "decode", description = {"Decodes each clip (no conversion, no hashing): every frame, or "
      + "with --sample only what the selected frames need."})
  static final class Decode implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin SamplingOptions sampling;

    @Option(names = "--decode-all", description = "With --sample: decode every packet and select afterwards "
        + "(the reference the fast path is measured against).")
    boolean decodeAll;

    @Parameters(arity = "1..*", paramLabel = "FILE") List<Path> files;
    @Option(names = "--threads", defaultValue = "1", description = "Decoder threads per clip (0 = FFmpeg's choice).")
    int threads;
    @Option(names = "--workers", defaultValue = "1", description = "Clips decoded at once.")
    int workers;
    @Option(names = "--warmup", defaultValue = "true", negatable = true,
        description = "Decode the first file once before timing (JIT, page cache).")
    boolean warmup;

    @Mixin DeviceOptions devices;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      if (!Main.requireNative(spec.commandLine().getErr()) || !devices.usable(spec.commandLine().getErr()))
        return Main.EXIT_FATAL;
      OpenOptions options = OpenOptions.DEFAULTS.withThreads(threads).withDevice(devices.device());
      Sampling selection = sampling.sampling().withDecodeAll(decodeAll);
      if (warmup) decodeOne(files.getFirst(), options, selection); // also the GPU's context and a cached decoder
      double cpu0 = processCpuSeconds();
      long t0 = System.nanoTime();
      long frames = 0;
      long decoded = 0;
      long packets = 0;
      long skipped = 0;
      long seeks = 0;
      int failed = 0;
      int onGpu = 0;
      try (ExecutorService pool = Executors.newFixedThreadPool(workers)) {
        List<Future<Decoded>> jobs = new ArrayList<>();
        List<Integer> gpus = devices.device().wantsGpu() && !devices.device().isOneGpu()
            ? io.vidmill.gpu.Cuda.decoderGpus().stream().map(io.vidmill.gpu.Cuda.Gpu::index).toList() : List.of();
        for (int i = 0; i < files.size(); i++) {
          Path f = files.get(i);
          // with several GPUs, clips go to them in turn
          OpenOptions o = gpus.isEmpty() ? options : options.withDevice(io.vidmill.decode.Device.cuda(gpus.get(i % gpus.size())));
          jobs.add(pool.submit(() -> decodeOne(f, o, selection)));
        }
        for (Future<Decoded> j : jobs) {
          Decoded d = j.get();
          DecodeResult r = d.result();
          if (d.onGpu()) onGpu++;
          frames += r.frames();
          if (r.stats() != null) {
            decoded += r.stats().framesDecoded();
            packets += r.stats().packets();
            skipped += r.stats().packetsSkipped();
            seeks += r.stats().seeks();
          }
          if (!r.ok()) failed++;
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpu = processCpuSeconds() - cpu0;
      out.printf(Locale.ROOT, "decode: %d clips, %d frames in %.3f s: %.1f frames/s, %.2f clips/s, "
              + "%.3f cpu-s per 1000 frames decoded (threads=%d, workers=%d, sample %s, device %s: %d clips on a GPU)%n",
          files.size(), frames, seconds, frames / seconds, files.size() / seconds, cpu * 1000 / Math.max(decoded, 1),
          threads, workers, selection, devices.device(), onGpu);
      if (!selection.selectsEverything())
        out.printf(Locale.ROOT, "sampling: %d frames decoded for %d returned, %d packets sent, %d skipped, %d seeks%n",
            decoded, frames, packets, skipped, seeks);
      result(out, JSON.createObjectNode().put("clips", files.size()).put("frames", frames)
          .put("frames_decoded", decoded).put("packets_sent", packets).put("packets_skipped", skipped)
          .put("seeks", seeks).put("sample", selection.toString())
          .put("seconds", seconds).put("fps", frames / seconds).put("clips_per_s", files.size() / seconds)
          .put("cpu_s_per_1000_frames", cpu * 1000 / Math.max(decoded, 1)).put("failed", failed)
          .put("device", devices.device().toString()).put("clips_on_gpu", onGpu));
      return failed == 0 ? Main.EXIT_OK : Main.EXIT_CLIPS_FAILED;
    }

    private record Decoded(DecodeResult result, boolean onGpu) {}

    private static Decoded decodeOne(Path f, OpenOptions options, Sampling sampling) {
      try (Clip c = Clip.open(Source.of(f), options, sampling); FrameBatch batch = FrameBatch.allocate(32)) {
        DecodeResult r = c.decodeAll(batch, frame -> {});
        return new Decoded(r, c.info().onGpu());
      } catch (ClipException e) {
        return new Decoded(new DecodeResult(e.status(), e.detail(), 0, null), false);
      }
    }
  }
}
