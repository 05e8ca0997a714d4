import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;

/**
 * JavaCV's FFmpegFrameGrabber on the same files:
 *   open ROUNDS FILE...   ms per open+close (start/stop), first round warms up
 *   decode FILE...        frames and seconds, raw frames (no conversion), one thread
 *   pool N LISTFILE       N Java threads taking clips in turn, raw frames, FFmpeg's own threading
 */
public final class JavacvAnchor {
  public static void main(String[] args) throws Exception {
    org.bytedeco.ffmpeg.global.avutil.av_log_set_level(org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR);
    if (args[0].equals("pool")) {
      int n = Integer.parseInt(args[1]);
      List<String> files = java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[2])).stream()
          .filter(l -> !l.isBlank()).toList();
      java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicLong frames = new java.util.concurrent.atomic.AtomicLong();
      long t0 = System.nanoTime();
      List<Thread> threads = new java.util.ArrayList<>();
      for (int t = 0; t < n; t++) {
        threads.add(Thread.ofPlatform().start(() -> {
          for (int i; (i = next.getAndIncrement()) < files.size(); ) {
            try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(files.get(i))) {
              g.setImageMode(org.bytedeco.javacv.FrameGrabber.ImageMode.RAW);
              g.start();
              while (g.grabImage() != null) frames.incrementAndGet();
              g.stop();
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          }
        }));
      }
      for (Thread t : threads) t.join();
      System.out.printf("%d %.4f%n", frames.get(), (System.nanoTime() - t0) / 1e9);
      return;
    }
    if (args[0].equals("open")) {
      int rounds = Integer.parseInt(args[1]);
      List<String> files = Arrays.asList(args).subList(2, args.length);
      openClose(files);
      long t0 = System.nanoTime();
      for (int r = 1; r < rounds; r++) openClose(files);
      System.out.printf("%.4f%n", (System.nanoTime() - t0) / 1e6 / (files.size() * (rounds - 1)));
    } else {
      List<String> files = Arrays.asList(args).subList(1, args.length);
      decode(files.subList(0, 1));
      long t0 = System.nanoTime();
      long frames = decode(files);
      System.out.printf("%d %.4f%n", frames, (System.nanoTime() - t0) / 1e9);
    }
  }

  static void openClose(List<String> files) throws Exception {
    for (String f : files) {
      try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(f)) {
        g.start();
        g.stop();
      }
    }
  }

  static long decode(List<String> files) throws Exception {
    long n = 0;
    for (String f : files) {
      try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(f)) {
        g.setVideoOption("threads", "1");
        g.setImageMode(org.bytedeco.javacv.FrameGrabber.ImageMode.RAW);
        g.start();
        Frame frame;
        while ((frame = g.grabImage()) != null) n++;
        g.stop();
      }
    }
    return n;
  }
}
