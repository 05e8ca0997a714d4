package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands, run in-process through picocli with captured streams. */
class CliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Run(int exit, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(exit, out.toString(), err.toString());
  }

  static Path media() {
    Path dir = Path.of(System.getProperty("vidmill.media.dir", "../../../shared/media")).toAbsolutePath().normalize();
    assumeTrue(Files.isDirectory(dir.resolve("valid")), "test media not found at " + dir + " (../shared/media)");
    return dir;
  }

  @Test
  void probePrintsOneJsonObjectPerFileAndAnErrorLinePerFailure() throws Exception {
    Path valid = media().resolve("valid/androidx_sample_rotate_and_reflect.mp4");
    Path audio = media().resolve("invalid/androidx_sample_audio_only.mp4");
    Path missing = media().resolve("valid/no-such-file.mp4");
    Run r = run("probe", valid.toString(), audio.toString(), missing.toString());
    assertEquals(Main.EXIT_CLIPS_FAILED, r.exit());
    List<String> lines = r.outLines();
    assertThat(lines).hasSize(3);

    JsonNode ok = JSON.readTree(lines.get(0));
    assertEquals(valid.toString(), ok.get("file").asText());
    assertEquals("mov,mp4,m4a,3gp,3g2,mj2", ok.get("container").asText());
    assertEquals("h264", ok.get("codec").asText());
    assertEquals("High", ok.get("profile").asText());
    assertEquals(1080, ok.get("width").asInt());
    assertEquals(720, ok.get("height").asInt());
    assertEquals("yuv420p", ok.get("pix_fmt").asText());
    assertEquals(8, ok.get("bit_depth").asInt());
    assertEquals(-90, ok.get("rotation").asInt());
    assertThat(ok.get("mirror").asBoolean()).isTrue();
    assertEquals(1.001, ok.get("duration").asDouble(), 1e-6);
    assertEquals("30000/1001", ok.get("avg_frame_rate").asText());
    assertEquals(30, ok.get("declared_frames").asInt());
    assertThat(ok.get("encrypted").asBoolean()).isFalse();
    assertThat(ok.get("error").isNull()).isTrue();

    JsonNode noVideo = JSON.readTree(lines.get(1));
    assertEquals("NO_VIDEO_STREAM", noVideo.get("error").get("code").asText());
    assertEquals("mov,mp4,m4a,3gp,3g2,mj2", noVideo.get("container").asText());
    assertEquals("NOT_FOUND", JSON.readTree(lines.get(2)).get("error").get("code").asText());

    assertThat(r.err().lines().toList()).containsExactly(
        "ERROR NO_VIDEO_STREAM " + audio + ": no video stream (1 audio)",
        "ERROR NOT_FOUND " + missing + ": No such file or directory");
  }

  @Test
  void probeSaysEncryptedAndTheCodecUnderneath() throws Exception {
    Path file = media().resolve("invalid/mp4parse_av1-clearkey-cbcs-video.mp4");
    Run r = run("probe", file.toString());
    JsonNode row = JSON.readTree(r.out());
    assertThat(row.get("encrypted").asBoolean()).isTrue();
    assertEquals("av1", row.get("codec").asText());
    assertEquals("ENCRYPTED", row.get("error").get("code").asText());
  }

  @Test
  void probeCountFramesFindsWhatOnlyDecodingFinds() throws Exception {
    Path file = media().resolve("invalid/androidx_sample_with_invalid_nalu.mp4");
    assertEquals(Main.EXIT_OK, run("probe", file.toString()).exit());
    Run r = run("probe", "--count-frames", file.toString());
    assertEquals(Main.EXIT_CLIPS_FAILED, r.exit());
    JsonNode row = JSON.readTree(r.out());
    assertEquals(29, row.get("frames_decoded").asInt());
    assertThat(row.get("decode_errors").asInt()).isPositive();
    assertEquals("CORRUPT", row.get("error").get("code").asText());
  }

  @Test
  void framemd5MatchesFfmpegLineForLine() throws IOException {
    Path file = media().resolve("valid/androidx_bbb_800x640_avc_pyramid_3b.mp4");
    Run r = run("framemd5", file.toString());
    assertEquals(Main.EXIT_OK, r.exit(), r.err());
    assertThat(r.err()).isEmpty();
    List<String> reference = Files.readAllLines(media().resolve("framemd5/androidx_bbb_800x640_avc_pyramid_3b.mp4.framemd5"))
        .stream().filter(l -> !l.startsWith("#")).toList();
    assertThat(r.outLines().stream().filter(l -> !l.startsWith("#")).toList()).containsExactlyElementsOf(reference);
    assertThat(r.outLines()).contains("#tb 0: 1/30", "#dimensions 0: 800x640");
  }

  @Test
  void framemd5PrintsTheDecodedFramesThenTheError() {
    Path file = media().resolve("invalid/androidx_sample_with_invalid_nalu.mp4");
    Run r = run("framemd5", file.toString());
    assertEquals(Main.EXIT_CLIPS_FAILED, r.exit());
    assertThat(r.outLines().stream().filter(l -> !l.startsWith("#"))).hasSize(29);
    assertThat(r.err().lines().toList()).singleElement().asString()
        .startsWith("ERROR CORRUPT " + file + ": ").contains("failed to decode");
  }

  @Test
  void framemd5OnWhatIsNotAVideo(@TempDir Path dir) throws IOException {
    Path text = Files.writeString(dir.resolve("notes.mp4"), "just text\n");
    Run r = run("framemd5", text.toString());
    assertEquals(Main.EXIT_CLIPS_FAILED, r.exit());
    assertThat(r.out()).isEmpty();
    assertEquals("ERROR NOT_A_VIDEO " + text + ": not a recognised video container (10 bytes)", r.err().strip());
  }

  @Test
  void badCommandLineIsExitTwo() {
    assertEquals(Main.EXIT_USAGE, run("probe").exit());
    assertEquals(Main.EXIT_USAGE, run("no-such-command").exit());
    assertEquals(Main.EXIT_USAGE, run("framemd5", "--threads", "x", "f.mp4").exit());
  }

  /** Values out of range are usage errors with their reason, never a FATAL with a Java exception. */
  @Test
  void valuesOutOfRangeAreUsageErrors(@TempDir Path dir) {
    String out = dir.resolve("out").toString();
    String[][] lines = {
        {"probe", "--threads", "-1", "f.mp4"}, {"probe", "--timeout", "-3", "f.mp4"},
        {"framemd5", "--timeout", "NaN", "f.mp4"}, {"frames", "--max-pixels", "-5", "f.mp4"},
        {"probe", "--timeout", "1e300", "f.mp4"}, {"probe", "nul\0.mp4"},
        {"run", "-i", "m.txt", "-o", out, "--retries", "-1"}, {"run", "-i", "m.txt", "-o", out, "--part-rows", "0"},
        {"run", "-i", "m.txt", "-o", out, "--clip-timeout", "0"}, {"run", "-i", "m.txt", "-o", out, "--commit-interval", "-1"},
        {"run", "-i", "m.txt", "-o", out, "--log-interval", "0"}, {"run", "-i", "m.txt", "-o", out, "--shards", "0"},
        {"run", "-i", "m.txt", "-o", out, "--metrics-port", "70000"}, {"run", "-i", "m.txt", "-o", out, "--threads", "-2"}};
    for (String[] line : lines) {
      Run r = run(line);
      assertEquals(Main.EXIT_USAGE, r.exit(), String.join(" ", line) + ": " + r.err());
      assertThat(r.err()).as(String.join(" ", line)).doesNotContain("FATAL").doesNotContain("Exception")
          .containsAnyOf("must be", "not a path");
    }
    assertThat(Files.exists(dir.resolve("out"))).as("no run started").isFalse();
  }

  /** An argument that starts with @ is what it says (a clip named @x.mp4), not a file of arguments. */
  @Test
  void atFilesAreNotExpanded(@TempDir Path dir) throws IOException {
    // picocli would read the arguments from the file after the @ (here: --help, exit 0)
    Path args = Files.writeString(dir.resolve("args.txt"), "--help\n");
    Run r = run("probe", "@" + args);
    assertEquals(Main.EXIT_CLIPS_FAILED, r.exit(), r.err());
    assertThat(r.err()).contains("ERROR NOT_FOUND @" + args);
    assertEquals(Main.EXIT_USAGE, run("@/").exit());
  }

  @Test
  void versionNamesFfmpegAndWhereItCameFrom() {
    Run r = run("version");
    assertEquals(0, r.exit());
    assertThat(r.out()).contains("FFmpeg 7.1").contains("libavcodec mapped from").contains(".javacpp");
  }

  @Test
  void demoSampleSetIsFixed() {
    assertThat(DemoCommand.SAMPLES).hasSize(25);
    assertThat(Arrays.stream(new String[] {"mp4", "webm", "mkv", "mov"}))
        .allMatch(ext -> DemoCommand.SAMPLES.stream().anyMatch(s -> s.name().endsWith("." + ext)));
  }

  @Test
  void framesPrintsTheConvertedFramesWithStatisticsAndWritesTheirPixels(@TempDir Path dir) throws Exception {
    Path file = media().resolve("valid/androidx_sample_rotate_and_reflect.mp4");
    Path raw = dir.resolve("frames.gray");
    Run r = run("frames", "--format", "gray8", "--size", "64x48", "--fit", "crop", "--stats", "--raw", raw.toString(),
        file.toString());
    assertEquals(Main.EXIT_OK, r.exit(), r.err());
    List<String> lines = r.outLines();
    assertThat(lines).hasSize(31); // 30 frames, then the aggregates
    for (int i = 0; i < 30; i++) {
      JsonNode f = JSON.readTree(lines.get(i));
      assertEquals(i, f.get("index").asInt());
      assertEquals(64, f.get("width").asInt());
      assertEquals(48, f.get("height").asInt());
      assertEquals("gray", f.get("pix_fmt").asText());
      assertEquals(64 * 48, f.get("size").asInt());
      assertThat(f.get("md5").asText()).hasSize(32);
      assertThat(f.get("dhash").asText()).hasSize(16);
      assertEquals(i == 0, f.get("motion").isNull());
      assertThat(f.get("luma_mean").asDouble()).isBetween(0.0, 255.0);
    }
    JsonNode agg = JSON.readTree(lines.get(30)).get("aggregates");
    assertEquals(30, agg.get("frames").asInt());
    assertEquals(64L * 48 * 30, Files.size(raw));

    // turned by default: this file's display matrix transposes it
    JsonNode turned = JSON.readTree(run("frames", "--format", "rgb24", file.toString()).outLines().getFirst());
    JsonNode stored = JSON.readTree(run("frames", "--no-rotate", file.toString()).outLines().getFirst());
    assertEquals(List.of(720, 1080), List.of(turned.get("width").asInt(), turned.get("height").asInt()));
    assertEquals(List.of(1080, 720), List.of(stored.get("width").asInt(), stored.get("height").asInt()));

    Run bad = run("frames", "--format", "native", "--size", "64", file.toString());
    assertEquals(Main.EXIT_USAGE, bad.exit());
    assertThat(bad.err()).contains("cannot be resized");
  }

  /** With --sample, framemd5 prints exactly the lines of ffmpeg's full framemd5 that the rule selects. */
  @Test
  void framemd5PrintsTheSelectedLinesOfTheReference() throws Exception {
    String name = "androidx_bbb_800x640_avc_pyramid_3b.mp4";
    Path file = media().resolve("valid").resolve(name);
    List<String> reference = Files.readAllLines(media().resolve("framemd5").resolve(name + ".framemd5")).stream()
        .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    assertEquals(120, reference.size());
    // uniform=4 over the 60 frames from 1 s: frames 30 + floor((2j+1)*60/8) = 37, 52, 67, 82
    Run r = run("framemd5", "--sample", "uniform=4", "--start", "1", "--end", "00:03", file.toString());
    assertEquals(Main.EXIT_OK, r.exit(), r.err());
    List<String> lines = r.outLines().stream().filter(l -> !l.startsWith("#")).toList();
    assertThat(lines).containsExactly(reference.get(37), reference.get(52), reference.get(67), reference.get(82));
    // keyframes, at most 2
    r = run("framemd5", "--sample", "keyframes", "--max-frames", "2", file.toString());
    assertEquals(Main.EXIT_OK, r.exit(), r.err());
    assertThat(r.outLines().stream().filter(l -> !l.startsWith("#")).toList())
        .containsExactly(reference.get(0), reference.get(30));
  }

  @Test
  void aBadSamplingRuleIsAUsageError() {
    Path file = media().resolve("valid/small_webm.webm");
    for (String[] args : new String[][] {{"--sample", "often"}, {"--sample", "every=0"}, {"--start", "soon"},
                                         {"--start", "2", "--end", "1"}}) {
      String[] full = new String[args.length + 2];
      full[0] = "framemd5";
      System.arraycopy(args, 0, full, 1, args.length);
      full[full.length - 1] = file.toString();
      Run r = run(full);
      assertEquals(Main.EXIT_USAGE, r.exit(), String.join(" ", args));
      assertThat(r.err()).as(String.join(" ", args)).isNotBlank();
    }
  }

  @Test
  void benchDecodeSamplesAndSaysWhatItSkipped() throws Exception {
    Path file = media().resolve("valid/torchcodec_nasa_13013.mp4");
    Run r = run("bench", "decode", "--no-warmup", "--sample", "keyframes", file.toString());
    assertEquals(Main.EXIT_OK, r.exit(), r.err());
    JsonNode result = JSON.readTree(r.outLines().stream().filter(l -> l.startsWith("RESULT ")).findFirst()
        .orElseThrow().substring("RESULT ".length()));
    assertThat(result.get("frames").asLong()).isBetween(1L, 10L);
    assertEquals(result.get("frames").asLong(), result.get("frames_decoded").asLong());
    assertThat(result.get("packets_skipped").asLong()).isGreaterThan(300);
    Run all = run("bench", "decode", "--no-warmup", "--sample", "keyframes", "--decode-all", file.toString());
    JsonNode reference = JSON.readTree(all.outLines().stream().filter(l -> l.startsWith("RESULT ")).findFirst()
        .orElseThrow().substring("RESULT ".length()));
    assertEquals(result.get("frames").asLong(), reference.get("frames").asLong());
    assertEquals(325, reference.get("frames_decoded").asLong());
  }
}
