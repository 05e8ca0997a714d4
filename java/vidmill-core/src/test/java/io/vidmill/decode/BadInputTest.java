package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vidmill.synth.SyntheticClip;
import io.vidmill.testing.Decoding;
import io.vidmill.testing.TestMedia;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input of every kind ends in a stable code and a one-line message, within bounded time,
 * and never in frames that differ from the intact file's.
 */
class BadInputTest {
  @TempDir static Path dir;
  static Path mp4;   // moov at the end, the common case for camera and encoder output
  static Path webm;
  static Path mkv;

  @BeforeAll
  static void clips() {
    mp4 = dir.resolve("clip.mp4");
    webm = dir.resolve("clip.webm");
    mkv = dir.resolve("clip.mkv");
    SyntheticClip.h264(320, 240, 24, 2, 7).write(mp4);
    SyntheticClip.h264(176, 144, 24, 1.5, 8).withEncoder("libvpx-vp9").write(webm);
    SyntheticClip.h264(160, 120, 25, 2, 9).withEncoder("mpeg4").write(mkv);
  }

  private static Decoding decode(Path p) {
    return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Decoding.of(Source.of(p)));
  }

  private static void assertFailsWith(Set<Status> allowed, Decoding d) {
    assertThat(d.status()).as(d.message()).isIn(allowed);
    assertThat(d.message()).isNotBlank().doesNotContain("\n");
  }

  @Test
  void zeroLengthFile() throws IOException {
    Path p = Files.createFile(dir.resolve("empty.mp4"));
    Decoding d = decode(p);
    assertEquals(Status.EMPTY, d.status());
    assertThat(d.message()).contains("0 bytes");
  }

  @Test
  void zeroLengthBuffer() {
    try (Arena arena = Arena.ofConfined()) {
      Decoding d = Decoding.of(Source.of(arena.allocate(0), "nothing"));
      assertEquals(Status.EMPTY, d.status());
    }
  }

  @Test
  void heapBytesAreRefusedAtTheApiEdge() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Source.of(MemorySegment.ofArray(new byte[10]), "heap"));
  }

  @Test
  void missingFile() {
    Decoding d = decode(dir.resolve("does-not-exist.mp4"));
    assertEquals(Status.NOT_FOUND, d.status());
    assertThat(d.message()).contains("No such file");
  }

  @Test
  void directory() throws IOException {
    Decoding d = decode(Files.createDirectories(dir.resolve("a-directory.mp4")));
    assertEquals(Status.IO, d.status());
    assertThat(d.message()).contains("directory");
  }

  /** Opening a FIFO must not block waiting for a writer. */
  @Test
  void fifoDoesNotHang() throws Exception {
    Path fifo = dir.resolve("pipe.mp4");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assumeTrue(mkfifo.waitFor() == 0, "mkfifo unavailable");
    Decoding d = decode(fifo);
    assertEquals(Status.IO, d.status());
    assertThat(d.message()).contains("not a regular file");
  }

  /**
   * A file this process may not read. As root, permission bits do not apply, so the test
   * thread drops its filesystem identity with setfsuid(2) (per thread, restored after).
   */
  @Test
  void unreadableFile() throws Throwable {
    Path p = dir.resolve("secret.mp4");
    Files.copy(mp4, p);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("---------"));
    MethodHandle setfsuid = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("setfsuid").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      int previous = (int) setfsuid.invokeExact(65534);
      try {
        Decoding d = Decoding.of(Source.of(p));
        assertEquals(Status.PERMISSION_DENIED, d.status(), d.message());
      } finally {
        int ignored = (int) setfsuid.invokeExact(previous);
      }
    });
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 100, 1000, 4096, 65536, 1 << 20})
  void randomBytes(int size) throws IOException {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    Path p = dir.resolve("random-" + size + ".mp4");
    Files.write(p, bytes);
    assertFailsWith(EnumSet.of(Status.NOT_A_VIDEO, Status.CORRUPT, Status.NO_VIDEO_STREAM), decode(p));
  }

  /** Random bytes behind a real file header look like a container but must still fail cleanly. */
  @ParameterizedTest
  @ValueSource(ints = {16, 64, 512, 4096})
  void validHeaderThenRandomBytes(int keep) throws IOException {
    for (Path src : List.of(mp4, webm, mkv)) {
      byte[] head = Arrays.copyOf(Files.readAllBytes(src), keep + 20000);
      byte[] noise = new byte[20000];
      new Random(keep).nextBytes(noise);
      System.arraycopy(noise, 0, head, keep, noise.length);
      Path p = dir.resolve("header-" + keep + "-" + src.getFileName());
      Files.write(p, head);
      Decoding d = decode(p);
      assertThat(d.status()).as(p + ": " + d.message()).isNotEqualTo(Status.INTERNAL);
      assertThat(d.message()).as(p.toString()).isNotNull();
    }
  }

  /**
   * A valid file cut at many offsets: TRUNCATED, always; whatever frames come before the
   * error are the intact file's first frames.
   */
  @ParameterizedTest
  @ValueSource(strings = {"clip.mp4", "clip.webm", "clip.mkv"})
  void cutAtManyOffsets(String name) throws IOException {
    assertEveryCutIsTruncated(dir.resolve(name), 40);
  }

  /** The same for the corpus files: a real phone capture, HEVC 10-bit, VP9 10-bit, fragmented. */
  @ParameterizedTest
  @ValueSource(strings = {"androidx_portrait_4k60.mp4", "torchcodec_h265_10bits.mp4",
      "androidx_roadtrip-vp92-10bit.webm", "abema_sample_fragmented.mp4", "torchcodec_av1_video.mkv"})
  void corpusFilesCutAtManyOffsets(String name) throws IOException {
    assertEveryCutIsTruncated(TestMedia.require().resolve("valid").resolve(name), 16);
  }

  /** Cuts src at pieces-1 evenly spaced offsets; each copy must decode a prefix, then TRUNCATED. */
  private static void assertEveryCutIsTruncated(Path src, int pieces) throws IOException {
    Decoding intact = decode(src);
    assertEquals(Status.EOF, intact.status(), intact.message());
    byte[] bytes = Files.readAllBytes(src);
    for (int k = 1; k < pieces; k++) {
      int cut = (int) ((long) bytes.length * k / pieces);
      Path p = dir.resolve("cut-" + k + "-" + src.getFileName());
      Files.write(p, Arrays.copyOf(bytes, cut));
      Decoding d = decode(p);
      String what = src.getFileName() + " cut at " + cut + "/" + bytes.length;
      assertEquals(Status.TRUNCATED, d.status(), what + ": " + d.message());
      assertThat(d.message()).isNotBlank().doesNotContain("\n");
      assertIsPrefix(intact, d, what);
      Files.delete(p);
    }
  }

  /** Garbage after a complete file does not change its frames. */
  @ParameterizedTest
  @ValueSource(strings = {"clip.mp4", "clip.webm", "clip.mkv"})
  void garbageAppended(String name) throws IOException {
    Path src = dir.resolve(name);
    Decoding intact = decode(src);
    byte[] bytes = Files.readAllBytes(src);
    byte[] noise = new byte[50_000];
    new Random(42).nextBytes(noise);
    byte[] both = Arrays.copyOf(bytes, bytes.length + noise.length);
    System.arraycopy(noise, 0, both, bytes.length, noise.length);
    Path p = dir.resolve("garbage-" + name);
    Files.write(p, both);
    Decoding d = decode(p);
    if (d.status() == Status.EOF) {
      assertThat(d.md5s()).containsExactlyElementsOf(intact.md5s());
    } else {
      assertFailsWith(EnumSet.of(Status.CORRUPT), d);
      assertIsPrefix(intact, d, p.toString());
    }
  }

  private static void assertIsPrefix(Decoding intact, Decoding d, String what) {
    List<String> got = d.md5s();
    assertThat(got.size()).as(what).isLessThanOrEqualTo(intact.frames().size());
    // the last frame before a cut may be a partial picture; all earlier ones are exact
    for (int i = 0; i + 1 < got.size(); i++) {
      assertEquals(intact.md5s().get(i), got.get(i), what + ": frame " + i);
    }
  }
}
