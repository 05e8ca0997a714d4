package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vidmill.ClipException;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.nativelib.Vidmill;
import io.vidmill.ops.ClipAggregates;
import io.vidmill.ops.Filter;
import io.vidmill.ops.FrameStats;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import io.vidmill.ops.Resize;
import io.vidmill.testing.TestMedia;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The native open/probe/decode entry under fuzzed bytes, through FFM, from memory: whatever the
 * bytes, a result status from the documented set and a one-line message, never a crash, and no
 * Java exception but {@link ClipException} from open. The last byte of the input also picks the
 * frame operations (conversion, resizing, statistics), so that their C code sees fuzzed frames.
 *
 * <p>Regression mode (every build): the inputs under {@code ClipFuzzTestInputs/} plus the
 * shared corpus as seeds, read from {@code ../shared/media} at run time. Fuzzing: see README
 * ("Hardening").
 */
class ClipFuzzTest {
  /** A fuzz input can neither hang nor take the machine's memory; a few frames show how a stream decodes. */
  private static final OpenOptions OPTIONS = OpenOptions.DEFAULTS.withThreads(1)
      .withTimeout(Duration.ofSeconds(1)).withMaxPixels(2048L * 2048).withMaxFrames(16);
  private static final long MAX_ALLOC = 128L << 20;
  /** Seeds above this size make every execution slow; the corpus tests decode them in full. */
  private static final long MAX_SEED_BYTES = 64 << 10;

  private static final Set<Status> OPEN_FAILURES = EnumSet.of(Status.EMPTY, Status.NOT_A_VIDEO,
      Status.NO_VIDEO_STREAM, Status.UNSUPPORTED_CODEC, Status.ENCRYPTED, Status.TRUNCATED, Status.CORRUPT,
      Status.TOO_LARGE, Status.TIMEOUT, Status.OUT_OF_MEMORY);
  private static final Set<Status> DECODE_ENDS = EnumSet.of(Status.EOF, Status.TRUNCATED, Status.CORRUPT,
      Status.TOO_LARGE, Status.TIMEOUT, Status.ENCRYPTED, Status.OUT_OF_MEMORY);

  @BeforeAll
  static void limits() {
    NativeLibrary.requireAvailable();
    Vidmill.vm_set_max_alloc(MAX_ALLOC);
  }

  @AfterAll
  static void defaults() {
    Vidmill.vm_set_max_alloc(0); // back to VM_DEFAULT_MAX_ALLOC for the tests that follow
  }

  /** Every file of the shared corpus small enough to fuzz from (none when it is absent). */
  static Stream<Arguments> openAndDecode() throws IOException {
    if (!TestMedia.present()) return Stream.empty();
    List<Path> files;
    try (Stream<Path> s = Stream.concat(Files.list(TestMedia.dir().resolve("valid")),
        Files.list(TestMedia.dir().resolve("invalid")))) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    return files.stream().filter(p -> size(p) <= MAX_SEED_BYTES).map(p -> {
      try {
        return Arguments.of((Object) Files.readAllBytes(p));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @MethodSource
  @FuzzTest(maxDuration = "10m")
  void openAndDecode(byte[] data) {
    int pick = data.length == 0 ? 0 : data[data.length - 1] & 0xff;
    Output output = output(pick);
    boolean stats = output != Output.NATIVE || (pick & 0x80) != 0;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment bytes = arena.allocate(Math.max(1, data.length));
      MemorySegment.copy(data, 0, bytes, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
      Source source = Source.of(bytes.asSlice(0, data.length), "fuzz.bin");
      OpenOptions options = OPTIONS.withFullProbe((pick & 0x40) != 0);
      try (Clip clip = Clip.open(source, options);
           FrameBatch batch = stats ? FrameBatch.allocate(8, Want.MD5, Want.PIXELS, Want.STATS)
               : FrameBatch.allocate(8, Want.MD5)) {
        // the size may be unknown (0) until the decoder has seen the bitstream, never over the limit
        ClipInfo info = clip.info();
        assertThat(info.width()).isNotNegative();
        assertThat(info.height()).isNotNegative();
        assertThat((long) info.width() * info.height()).isLessThanOrEqualTo(OPTIONS.maxPixels());
        clip.setOutput(output);
        long[] seen = {0};
        DecodeResult r = clip.decodeAll(batch, f -> {
          seen[0]++;
          check(f, output, stats);
        });
        assertThat(DECODE_ENDS).as("%s: %s", r.status(), r.message()).contains(r.status());
        assertThat(r.frames()).isEqualTo(seen[0]).isLessThanOrEqualTo(OPTIONS.maxFrames());
        if (r.status() != Status.EOF) oneLine(r.message());
        if (stats) {
          ClipAggregates a = clip.aggregates();
          assertThat(a.frames()).isEqualTo(r.frames());
        }
      } catch (ClipException e) {
        assertThat(OPEN_FAILURES).as("%s: %s", e.status(), e.detail()).contains(e.status());
        oneLine(e.detail());
      }
    }
  }

  /** The operations for this input: as decoded, or converted and resized in one of the ways. */
  private static Output output(int pick) {
    int side = 8 + ((pick >> 2) & 7) * 12;
    Filter filter = Filter.values()[(pick >> 5) % Filter.values().length];
    return switch (pick & 3) {
      case 0 -> Output.NATIVE;
      case 1 -> Output.of(PixelFormat.RGB24).withSize(side, side * 3 / 4 + 1, Resize.values()[1 + (pick >> 2) % 4])
          .withFilter(filter);
      case 2 -> Output.of(PixelFormat.GRAY8).withShortSide(side).withFilter(filter);
      default -> Output.of(PixelFormat.BGR24).withOrientation((pick & 0x80) == 0);
    };
  }

  private static void check(Frame f, Output output, boolean stats) {
    assertThat(f.width()).isPositive();
    assertThat(f.height()).isPositive();
    if (output.format() != PixelFormat.NATIVE) {
      assertThat(f.dataSize()).isEqualTo((long) f.width() * f.height() * output.format().channels());
      if (output.resize() == Resize.FILL || output.resize() == Resize.CENTER_CROP || output.resize() == Resize.PAD) {
        assertThat(f.width()).isEqualTo(output.width());
        assertThat(f.height()).isEqualTo(output.height());
      }
    }
    if (stats) {
      assertThat(f.pixels().byteSize()).isEqualTo(f.dataSize());
      FrameStats s = f.stats();
      assertThat(s.lumaMean()).isBetween(0f, 255f);
      assertThat(s.darkFraction()).isBetween(0f, 1f);
      assertThat(s.sharpness()).isGreaterThanOrEqualTo(0f);
      assertThat(s.sceneScore()).satisfiesAnyOf(v -> assertThat(v).isEqualTo(-1f), v -> assertThat(v).isBetween(0f, 1f));
    }
  }

  private static void oneLine(String message) {
    assertThat(message).isNotBlank().doesNotContain("\n");
  }
}
