package io.vidmill.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.decode.Status;
import io.vidmill.testing.Decoding;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SyntheticClipTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
      "libopenh264, mp4, h264, yuv420p",
      "libopenh264, mov, h264, yuv420p",
      "libvpx-vp9, webm, vp9, yuv420p",
      "libvpx, webm, vp8, yuv420p",
      "mpeg4, mkv, mpeg4, yuv420p",
      "libaom-av1, mp4, av1, yuv420p",
      "libsvtav1, mkv, av1, yuv420p10le"})
  void everyEncoderMakesAClipThatDecodesFrameForFrame(String encoder, String ext, String codec, String pixFmt) {
    Path p = dir.resolve("x." + ext);
    SyntheticClip spec = new SyntheticClip(192, 108, 24, 1, 20, 12, 0, 5, encoder, "testsrc2",
        pixFmt.equals("yuv420p") ? null : pixFmt);
    spec.write(p);
    Decoding d = Decoding.of(Source.of(p));
    assertEquals(Status.EOF, d.status(), d.message());
    assertEquals(20, d.frames().size());
    try (Clip c = Clip.open(Source.of(p), OpenOptions.DEFAULTS)) {
      ClipInfo info = c.info();
      assertEquals(codec, info.codec());
      assertEquals(192, info.width());
      assertEquals(108, info.height());
    }
    assertEquals(pixFmt, d.frames().getFirst().pixFmt());
    // different seeds give different pictures
    Path other = dir.resolve("y." + ext);
    new SyntheticClip(192, 108, 24, 1, 20, 12, 0, 6, encoder, "testsrc2", spec.pixFmt()).write(other);
    assertThat(Decoding.of(Source.of(other)).md5s().getFirst()).isNotEqualTo(d.md5s().getFirst());
  }

  @org.junit.jupiter.api.Test
  void unknownEncoderFailsWithoutLeavingAFile() throws Exception {
    Path p = dir.resolve("z.mp4");
    ClipException e = assertThrows(ClipException.class,
        () -> SyntheticClip.h264(64, 64, 10, 1, 0).withEncoder("no-such-encoder").write(p));
    assertEquals(Status.UNSUPPORTED_CODEC, e.status());
    assertThat(Files.list(dir)).isEmpty();
  }
}
