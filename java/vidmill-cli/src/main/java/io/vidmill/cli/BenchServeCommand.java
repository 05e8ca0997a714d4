package io.vidmill.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Serves a folder over HTTP as slow object storage does: a first-byte latency per request and
 * a bandwidth cap per connection. Benchmarks use it to show what the fetch stage and the tuner
 * do when storage, not decoding, is the bottleneck (bench/tune/run.sh). It waits without
 * spending CPU, so it can share the machine with the run it feeds.
 */
@Command(name = "serve", description = "Serves DIR over HTTP with a latency per request and a bandwidth cap per connection.")
final class BenchServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "DIR") Path dir;
  @Option(names = "--port", defaultValue = "0", description = "0 picks a free port.") int port;
  @Option(names = "--latency-ms", defaultValue = "0", description = "Wait before the first byte of each response.")
  double latencyMs;
  @Option(names = "--rate", defaultValue = "0", paramLabel = "BYTES/S",
      description = "Bandwidth per connection, e.g. 2M (0 = unlimited).") String rate;
  @Option(names = "--port-file", paramLabel = "FILE", description = "Write the port here once listening.") Path portFile;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    long bytesPerSecond = parseRate(rate);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    Path root = dir.toAbsolutePath().normalize();
    server.createContext("/", ex -> serve(ex, root, bytesPerSecond));
    server.start();
    int bound = server.getAddress().getPort();
    out.printf(Locale.ROOT, "serving %s on http://127.0.0.1:%d/ (latency %.0f ms, %s per connection)%n", root, bound,
        latencyMs, bytesPerSecond == 0 ? "unlimited" : (bytesPerSecond >> 10) + " KiB/s");
    out.flush();
    if (portFile != null) {
      Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
      Files.writeString(tmp, Integer.toString(bound));
      Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    new CountDownLatch(1).await(); // until killed
    return Main.EXIT_OK;
  }

  private void serve(HttpExchange ex, Path root, long bytesPerSecond) throws IOException {
    try (ex) {
      Path file = root.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
      if (!file.startsWith(root) || !Files.isRegularFile(file)) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      long size = Files.size(file);
      sleepNanos((long) (latencyMs * 1e6));
      ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
      ex.sendResponseHeaders(200, size);
      byte[] chunk = new byte[64 << 10];
      long start = System.nanoTime();
      long sent = 0;
      try (InputStream in = Files.newInputStream(file); OutputStream body = ex.getResponseBody()) {
        for (int n; (n = in.read(chunk)) > 0; ) {
          body.write(chunk, 0, n);
          sent += n;
          if (bytesPerSecond > 0) sleepNanos((long) (sent * 1e9 / bytesPerSecond) - (System.nanoTime() - start));
        }
      }
    } catch (NoSuchFileException e) {
      // vanished between the check and the read: the client sees the connection end
    }
  }

  private static void sleepNanos(long nanos) {
    if (nanos <= 0) return;
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static long parseRate(String s) {
    String t = s.strip().toUpperCase(Locale.ROOT);
    long mult = 1;
    if (t.endsWith("K")) mult = 1L << 10;
    else if (t.endsWith("M")) mult = 1L << 20;
    else if (t.endsWith("G")) mult = 1L << 30;
    if (mult > 1) t = t.substring(0, t.length() - 1);
    return (long) (Double.parseDouble(t) * mult);
  }
}
