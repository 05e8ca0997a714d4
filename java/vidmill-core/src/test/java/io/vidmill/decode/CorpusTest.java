package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.vidmill.ClipException;
import io.vidmill.testing.Decoding;
import io.vidmill.testing.TestMedia;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The shared corpus: frame-exact against ffmpeg's framemd5, and every broken file named. */
class CorpusTest {
  static Stream<Arguments> valid() {
    return TestMedia.manifest().stream().filter(r -> r.get("expect").equals("ok"))
        .map(r -> Arguments.of(Path.of(r.get("file")).getFileName().toString(), r));
  }

  /** Every frame line (dts, pts, duration, size, md5) equals ffmpeg's, in order. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void framemd5EqualsTheReference(String name, Map<String, String> facts) throws Exception {
    Path file = TestMedia.require().resolve("valid").resolve(name);
    List<String> lines = new ArrayList<>();
    try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS.withFullProbe(true));
         FrameBatch batch = FrameBatch.allocate(16, Want.MD5)) {
      FrameMd5Format format = new FrameMd5Format(clip.info());
      DecodeResult r = clip.decodeAll(batch, f -> lines.add(format.line(f)));
      assertEquals(Status.EOF, r.status(), r.message());
      assertEquals(0, r.stats().decodeErrors());
      assertThat(lines).containsExactlyElementsOf(TestMedia.referenceFrameLines(name));
      assertEquals(Long.parseLong(facts.get("framemd5_frames")), r.frames());
    }
  }

  /** What probe reports agrees with ffprobe's facts in MANIFEST.tsv. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void describesTheClipLikeFfprobe(String name, Map<String, String> facts) {
    Path file = TestMedia.require().resolve("valid").resolve(name);
    try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS.withFullProbe(true).withOpenDecoder(false))) {
      ClipInfo info = clip.info();
      assertEquals(facts.get("container"), info.container());
      assertEquals(facts.get("codec"), info.codec());
      assertEquals(facts.get("profile"), info.profile().isEmpty() ? "" : info.profile(), "profile");
      assertEquals(Integer.parseInt(facts.get("width")), info.width());
      assertEquals(Integer.parseInt(facts.get("height")), info.height());
      assertEquals(facts.get("pix_fmt"), info.pixFmt());
      String rotation = facts.get("rotation");
      assertEquals(rotation.isEmpty() ? 0 : Integer.parseInt(rotation), info.rotation(), "rotation");
      String declared = facts.get("nb_frames_header");
      assertEquals(declared.isEmpty() ? 0 : Long.parseLong(declared), info.declaredFrames(), "declared frames");
      String avg = facts.get("avg_frame_rate");
      if (!avg.equals("0/0")) assertEquals(avg, info.avgFrameRate().toString());
      assertEquals(Double.parseDouble(facts.get("duration")), info.durationSeconds(), 0.002, "duration");
      assertThat(info.encrypted()).isFalse();
    }
  }

  /** The same frames from a file, from memory, with one decoder thread and with FFmpeg's choice. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void everyWayOfDecodingGivesTheSameFrames(String name, Map<String, String> facts) throws Exception {
    Path file = TestMedia.require().resolve("valid").resolve(name);
    Decoding single = Decoding.of(Source.of(file), OpenOptions.DEFAULTS.withThreads(1));
    Decoding auto = Decoding.of(Source.of(file), OpenOptions.DEFAULTS.withThreads(0));
    Decoding memory;
    try (Arena arena = Arena.ofConfined();
         FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MemorySegment bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      memory = Decoding.of(Source.of(bytes, name), OpenOptions.DEFAULTS.withThreads(2));
    }
    assertEquals(Status.EOF, single.status(), single.message());
    assertThat(auto.md5s()).containsExactlyElementsOf(single.md5s());
    assertThat(memory.md5s()).containsExactlyElementsOf(single.md5s());
    assertThat(memory.frames().stream().map(Frame::pts).toList())
        .containsExactlyElementsOf(single.frames().stream().map(Frame::pts).toList());
  }

  /** The code each broken file must get. */
  private static final Map<String, Status> INVALID = Map.ofEntries(
      Map.entry("androidx_sample_audio_only.mp4", Status.NO_VIDEO_STREAM),
      Map.entry("androidx_sample_malformed_free_box.mp4", Status.CORRUPT),
      Map.entry("androidx_sample_vvc.mp4", Status.UNSUPPORTED_CODEC),
      Map.entry("androidx_sample_with_invalid_nalu.mp4", Status.CORRUPT),
      Map.entry("androidx_vp9_invalid-bitstream.webm", Status.CORRUPT),
      Map.entry("exiv2_ghsa_fgw8_p7pr_37cp_poc.mov", Status.CORRUPT),
      Map.entry("mp4ff_fuzz_stts_1275068416_entries.mp4", Status.TOO_LARGE),
      Map.entry("mp4ff_init_truncated.mp4", Status.TRUNCATED),
      Map.entry("mp4parse_av1-clearkey-cbcs-video.mp4", Status.ENCRYPTED),
      Map.entry("mp4parse_bipbop_nonfragment_header.mp4", Status.TRUNCATED),
      Map.entry("mp4parse_chunk_out_of_range.mp4", Status.CORRUPT),
      Map.entry("mp4parse_clusterfuzz-6093954524250112.mp4", Status.TRUNCATED),
      Map.entry("small_Mpeg4.mp4", Status.NO_VIDEO_STREAM),
      Map.entry("videl_empty.mp4", Status.NOT_A_VIDEO),
      Map.entry("videl_video-seg1.mp4", Status.CORRUPT));

  static Stream<Arguments> invalid() {
    return TestMedia.manifest().stream().filter(r -> r.get("expect").equals("error"))
        .map(r -> Arguments.of(Path.of(r.get("file")).getFileName().toString()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void everyBrokenFileGetsItsCodeQuickly(String name) {
    Path file = TestMedia.require().resolve("invalid").resolve(name);
    assertThat(INVALID).as("expected code for " + name).containsKey(name);
    Decoding d = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Decoding.of(Source.of(file)));
    assertEquals(INVALID.get(name), d.status(), d.message());
    assertThat(d.message()).isNotBlank().doesNotContain("\n");
  }

  /** ffmpeg exits 0 on this one with 29 of 30 frames; vidmill gives the 29, then CORRUPT. */
  @org.junit.jupiter.api.Test
  void aBitstreamWithErrorsIsNeverAcleanSuccess() {
    Path file = TestMedia.require().resolve("invalid").resolve("androidx_sample_with_invalid_nalu.mp4");
    try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS);
         FrameBatch batch = FrameBatch.allocate(64, Want.MD5)) {
      DecodeResult r = clip.decodeAll(batch, f -> {});
      assertEquals(Status.CORRUPT, r.status());
      assertEquals(29, r.frames());
      assertThat(r.stats().decodeErrors()).isBetween(1L, 2L);
      assertThat(r.message()).contains("failed to decode");
    }
  }

  /** A complete moov over a cut mdat: known at open, the frames there decode, then TRUNCATED. */
  @org.junit.jupiter.api.Test
  void truncationIsKnownAtOpenWhenTheIndexSaysSo() {
    Path file = TestMedia.require().resolve("invalid").resolve("mp4parse_bipbop_nonfragment_header.mp4");
    try (Clip clip = Clip.open(Source.of(file), OpenOptions.DEFAULTS); FrameBatch batch = FrameBatch.allocate(8)) {
      assertThat(clip.info().truncated()).isTrue();
      assertEquals(297, clip.info().declaredFrames());
      assertEquals(Status.TRUNCATED, clip.decodeAll(batch, f -> {}).status());
    }
    Path intact = TestMedia.require().resolve("valid").resolve("androidx_sample_mdat_too_long.mp4");
    try (Clip clip = Clip.open(Source.of(intact), OpenOptions.DEFAULTS)) {
      assertThat(clip.info().truncated()).isFalse();
    }
  }

  /** An encrypted stream is refused before any frame, not decoded into garbage. */
  @org.junit.jupiter.api.Test
  void encryptionIsDetectedAtOpen() {
    Path file = TestMedia.require().resolve("invalid").resolve("mp4parse_av1-clearkey-cbcs-video.mp4");
    ClipException e = org.junit.jupiter.api.Assertions.assertThrows(ClipException.class,
        () -> Clip.open(Source.of(file), OpenOptions.DEFAULTS).close());
    assertEquals(Status.ENCRYPTED, e.status());
    assertThat(e.info().encrypted()).isTrue();
    assertEquals("av1", e.info().codec());
  }

  /** VVC is refused by default and decodes when allowed. */
  @org.junit.jupiter.api.Test
  void vvcDecodesOnlyWhenAllowed() {
    Path file = TestMedia.require().resolve("invalid").resolve("androidx_sample_vvc.mp4");
    Decoding allowed = Decoding.of(Source.of(file), OpenOptions.DEFAULTS.withAllowedCodecs(List.of("vvc")));
    assertEquals(Status.EOF, allowed.status(), allowed.message());
    assertEquals(120, allowed.frames().size());
  }
}
