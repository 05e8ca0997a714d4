package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.ClipException;
import io.vidmill.synth.SyntheticClip;
import io.vidmill.testing.Decoding;
import io.vidmill.testing.TestMedia;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sampling through the Java API equals decode-all-then-select (Sampling.select over a plain
 * decode), frame for frame: pts and MD5. The C driver checks more rules over the corpus
 * (CTest sample_corpus); this checks the bindings on all of it with one rule of each kind.
 */
class SampledCorpusTest {
  private static final List<Sampling> RULES = List.of(
      Sampling.parse("every=3").withMaxFrames(6),
      Sampling.parse("fps=7.5").withWindow(Duration.ofMillis(250), Duration.ofMillis(2500)),
      Sampling.parse("uniform=5"),
      Sampling.parse("keyframes"));

  static Stream<Arguments> valid() {
    return TestMedia.manifest().stream().filter(r -> r.get("expect").equals("ok"))
        .map(r -> Arguments.of(Path.of(r.get("file")).getFileName().toString()));
  }

  private static List<Frame> selected(Sampling s, ClipInfo info, List<Frame> all) {
    boolean[] pick = s.select(info, all);
    List<Frame> out = new ArrayList<>();
    for (int i = 0; i < pick.length; i++) if (pick[i]) out.add(all.get(i));
    return out;
  }

  private static List<String> ptsAndMd5(List<Frame> frames) {
    return frames.stream().map(f -> f.pts() + " " + f.md5Hex()).toList();
  }

  private static ClipInfo info(Path file) {
    try (Clip c = Clip.open(Source.of(file), OpenOptions.DEFAULTS.withOpenDecoder(false))) {
      return c.info();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void sampledFramesAreTheSelectedFramesOfAFullDecode(String name) {
    Path file = TestMedia.require().resolve("valid").resolve(name);
    OpenOptions options = OpenOptions.DEFAULTS.withThreads(0);
    Decoding all = Decoding.of(Source.of(file), options);
    assertEquals(Status.EOF, all.status(), all.message());
    ClipInfo info = info(file);
    for (Sampling rule : RULES) {
      List<Frame> got = new ArrayList<>();
      DecodeResult r;
      try (Clip clip = Clip.open(Source.of(file), options, rule); FrameBatch batch = FrameBatch.allocate(4, Want.MD5)) {
        r = clip.decodeAll(batch, got::add);
      }
      assertEquals(Status.EOF, r.status(), rule + ": " + r.message());
      assertThat(ptsAndMd5(got)).as(rule.toString()).containsExactlyElementsOf(ptsAndMd5(selected(rule, info, all.frames())));
      assertEquals(got.size(), r.stats().frames());
      assertThat(r.stats().samplePath()).as(rule.toString()).isNotEqualTo(Sampling.Path.NONE);
      assertThat(r.stats().framesDecoded()).isGreaterThanOrEqualTo(got.size());
    }
  }

  /** The codes of broken files stay; the one thing sampling cannot see is a bitstream error
   * in a frame it never decodes. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void brokenFilesKeepTheirCodes(String name) {
    Path file = TestMedia.require().resolve("invalid").resolve(name);
    Decoding plain = Decoding.of(Source.of(file));
    for (Sampling rule : List.of(Sampling.parse("fps=1"), Sampling.parse("keyframes"), Sampling.parse("uniform=3"))) {
      Status s;
      String message;
      try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS.withThreads(1), rule);
           FrameBatch batch = FrameBatch.allocate(4)) {
        DecodeResult r = clip.decodeAll(batch, f -> {});
        s = r.status();
        message = r.message();
      } catch (ClipException e) {
        s = e.status();
        message = e.detail();
      }
      if (name.equals("androidx_sample_with_invalid_nalu.mp4") && s == Status.EOF) continue; // the bad NAL is skipped
      assertEquals(plain.status(), s, rule + ": " + message);
      assertThat(message).isNotBlank();
    }
  }

  static Stream<Arguments> invalid() {
    return TestMedia.manifest().stream().filter(r -> r.get("expect").equals("error"))
        .map(r -> Arguments.of(Path.of(r.get("file")).getFileName().toString()));
  }

  /** Sparse samples in a clip of many GOPs: whole GOPs are skipped, by jumping in memory or,
   * without the packet buffer, by seeking in the file; the frames stay the same. */
  @Test
  void sparseSamplesJumpOverWholeGops(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("gop2s.mp4");
    new SyntheticClip(320, 240, 25, 1, 300, 50, 3000, 3, "libopenh264", "mandelbrot", null).write(file);
    Decoding all = Decoding.of(Source.of(file));
    ClipInfo info = info(file);
    for (long buffer : new long[] {0, -1}) {
      Sampling rule = Sampling.parse("fps=0.25").withBufferBytes(buffer);
      List<Frame> got = new ArrayList<>();
      DecodeResult r;
      try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS.withThreads(1), rule);
           FrameBatch batch = FrameBatch.allocate(8, Want.MD5)) {
        r = clip.decodeAll(batch, got::add);
      }
      assertEquals(Status.EOF, r.status(), r.message());
      assertThat(ptsAndMd5(got)).containsExactlyElementsOf(ptsAndMd5(selected(rule, info, all.frames())));
      assertEquals(3, got.size()); // 0, 4 and 8 s of a 12 s clip
      ClipStats st = r.stats();
      assertEquals(Sampling.Path.PLANNED, st.samplePath());
      assertEquals(0, st.fallbacks());
      assertThat(st.seeks()).isGreaterThanOrEqualTo(2);
      assertThat(st.packets()).isEqualTo(3);
      assertThat(st.packetsSkipped()).isEqualTo(297);
      if (buffer < 0) assertThat(st.fileSeeks()).as("seeks in the file").isGreaterThanOrEqualTo(1);
      else assertEquals(0, st.fileSeeks());
    }
  }

  /** A cap ends the clip cleanly after N frames; the TOO_LARGE limit of OpenOptions still fails it. */
  @Test
  void aCapIsNotALimit() {
    Path file = TestMedia.require().resolve("valid/torchcodec_nasa_13013.mp4");
    try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS.withThreads(1), Sampling.ALL.withMaxFrames(7));
         FrameBatch batch = FrameBatch.allocate(4)) {
      DecodeResult r = clip.decodeAll(batch, f -> {});
      assertEquals(Status.EOF, r.status());
      assertEquals(7, r.frames());
      assertThat(r.stats().framesDecoded()).isLessThan(325);
    }
    try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS.withThreads(1).withMaxFrames(7),
                               Sampling.parse("every=2"));
         FrameBatch batch = FrameBatch.allocate(4)) {
      assertEquals(Status.TOO_LARGE, clip.decodeAll(batch, f -> {}).status());
    }
  }

  @Test
  void samplingNeedsADecoder() {
    Path file = TestMedia.require().resolve("valid/small_webm.webm");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Clip.open(Source.of(file), OpenOptions.DEFAULTS.withOpenDecoder(false), Sampling.parse("every=2")));
    assertThat(e).hasMessageContaining("decoder");
  }
}
