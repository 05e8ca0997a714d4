package io.vidmill.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.Manifest;
import io.vidmill.shard.Shard;
import io.vidmill.tune.TuneOptions;
import io.vidmill.testing.Results;
import io.vidmill.testing.ThrottlingProxy;
import io.vidmill.testing.TinyClips;
import io.vidmill.synth.SyntheticClip;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clips from object storage and web servers, through real servers on loopback: an S3 server
 * (S3Proxy, in-process) behind a rate-limiting proxy, and the JDK's HTTP server.
 */
class RemoteSourcesTest {
  @TempDir static Path dir;
  static S3Proxy s3;
  static BlobStoreContext blobs;
  static ThrottlingProxy slow;
  static HttpServer http;
  static List<Path> clips;
  static Path big;
  static final AtomicInteger flaky = new AtomicInteger();

  @BeforeAll
  static void servers() throws Exception {
    clips = TinyClips.make(dir.resolve("clips"), 12);
    big = dir.resolve("big.mp4");
    SyntheticClip.h264(640, 360, 25, 4, 1).withPattern("mandelbrot").write(big);

    Properties props = new Properties();
    blobs = ContextBuilder.newBuilder("transient").credentials("vidmill", "secret-key").overrides(props)
        .build(BlobStoreContext.class);
    BlobStore store = blobs.getBlobStore();
    store.createContainerInLocation(null, "videos");
    store.createContainerInLocation(null, "empty-bucket");
    for (Path c : clips) {
      store.putBlob("videos", store.blobBuilder("clips/" + c.getFileName()).payload(Files.readAllBytes(c)).build());
    }
    store.putBlob("videos", store.blobBuilder("big.mp4").payload(Files.readAllBytes(big)).build());
    s3 = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "vidmill", "secret-key").build();
    s3.start();
    while (!s3.getState().equals("STARTED")) Thread.sleep(10);
    slow = new ThrottlingProxy(s3.getPort(), 10_000_000);
    System.setProperty("aws.accessKeyId", "vidmill");
    System.setProperty("aws.secretAccessKey", "secret-key");
    System.setProperty("aws.region", "us-east-1");
    System.setProperty("aws.endpointUrl", "http://127.0.0.1:" + slow.port());

    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      byte[] body = null;
      int code = 200;
      if (path.startsWith("/clips/")) {
        Path f = dir.resolve("clips").resolve(path.substring(7));
        if (Files.exists(f)) body = Files.readAllBytes(f); else code = 404;
      } else if (path.equals("/flaky.mp4")) {
        // fails twice with 503, then serves: retried I/O
        if (flaky.incrementAndGet() <= 2) code = 503; else body = Files.readAllBytes(clips.getFirst());
      } else if (path.equals("/forbidden.mp4")) {
        code = 403;
      } else {
        code = 404;
      }
      exchange.sendResponseHeaders(code, body == null ? -1 : body.length);
      if (body != null) try (OutputStream o = exchange.getResponseBody()) { o.write(body); }
      exchange.close();
    });
    http.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) http.stop(0);
    if (slow != null) slow.close();
    if (s3 != null) s3.stop();
    if (blobs != null) blobs.close();
    for (String p : List.of("aws.accessKeyId", "aws.secretAccessKey", "aws.region", "aws.endpointUrl")) {
      System.clearProperty(p);
    }
  }

  static Run.Summary run(Path manifest, Path out, Duration clipTimeout) throws Exception {
    RunOptions o = new RunOptions(manifest.toString(), Manifest.Format.AUTO, null, Manifest.DEFAULT_EXTENSIONS, out,
        Shard.ALL, TuneOptions.fixed(2, 1, 8, 64L << 20), clipTimeout, 3, OpenOptions.DEFAULTS.withThreads(1), Duration.ofSeconds(1), 1000,
        Progress.Mode.OFF, Duration.ofSeconds(10), false);
    return new Run(o, new PrintWriter(new StringWriter()), new ByteArrayInputStream(new byte[0])).execute();
  }

  @Test
  void s3ClipsMissingKeysAndMissingBuckets() throws Exception {
    StringBuilder m = new StringBuilder();
    for (Path c : clips) m.append("s3://videos/clips/").append(c.getFileName()).append('\n');
    m.append("s3://videos/clips/not-there.mp4\n");
    m.append("s3://empty-bucket/a.mp4\n");
    m.append("s3://no-such-bucket/a.mp4\n");
    Path manifest = Files.writeString(dir.resolve("s3.txt"), m.toString());
    Path out = dir.resolve("out-s3");
    Run.Summary s = run(manifest, out, Duration.ofSeconds(60));
    assertEquals(clips.size(), s.ok());
    assertEquals(Map.of("NOT_FOUND", 3L), s.failuresByCode());
    try (Results r = new Results(out)) {
      assertEquals(clips.size(), r.count("SELECT count(*) FROM CLIPS WHERE status = 'ok' AND frames_decoded > 0"));
      assertThat((String) r.query("SELECT error FROM CLIPS WHERE key = 's3://no-such-bucket/a.mp4'").getFirst()
          .get("error")).contains("no-such-bucket");
    }
  }

  /** A slow read finishes within the limit; a read slower than the clip's limit is cut off as TIMEOUT. */
  @Test
  void slowStorage() throws Exception {
    long size = Files.size(big);
    Path manifest = Files.writeString(dir.resolve("slow.txt"), "s3://videos/big.mp4\n");
    slow.setRate((int) Math.max(50_000, size / 2)); // about 2 s for the clip
    Path out = dir.resolve("out-slow");
    Run.Summary ok = run(manifest, out, Duration.ofSeconds(60));
    assertEquals(1, ok.ok(), String.valueOf(ok.failuresByCode()));
    try (Results r = new Results(out)) {
      assertThat(((Number) r.query("SELECT fetch_ms FROM CLIPS").getFirst().get("fetch_ms")).doubleValue())
          .isGreaterThan(1000);
    }
    slow.setRate(20_000);
    long t0 = System.nanoTime();
    Run.Summary cut = run(manifest, dir.resolve("out-too-slow"), Duration.ofMillis(1500));
    assertEquals(Map.of("TIMEOUT", 1L), cut.failuresByCode());
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20);
    slow.setRate(10_000_000);
  }

  @Test
  void httpClipsWithRetriesAndRefusals() throws Exception {
    String base = "http://127.0.0.1:" + http.getAddress().getPort();
    StringBuilder m = new StringBuilder();
    for (Path c : clips) m.append(base).append("/clips/").append(c.getFileName()).append('\n');
    m.append(base).append("/flaky.mp4\n").append(base).append("/forbidden.mp4\n").append(base).append("/gone.mp4\n");
    Path out = dir.resolve("out-http");
    Run.Summary s = run(Files.writeString(dir.resolve("http.txt"), m.toString()), out, Duration.ofSeconds(60));
    assertEquals(clips.size() + 1, s.ok());
    assertEquals(Map.of("NOT_FOUND", 1L, "PERMISSION_DENIED", 1L), s.failuresByCode());
    try (Results r = new Results(out)) {
      assertEquals(3, r.query("SELECT attempts FROM CLIPS WHERE key LIKE '%flaky.mp4'").getFirst().get("attempts"));
      assertEquals(1, r.query("SELECT attempts FROM CLIPS WHERE key LIKE '%forbidden.mp4'").getFirst().get("attempts"));
    }
  }
}
