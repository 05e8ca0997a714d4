package io.vidmill.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SampleKeyTest {
  private static final String SAFE = "[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?-[0-9a-f]{32}";

  @Test
  void keysBecomeSafeReadableNames() {
    assertThat(SampleKey.of("videos/2024/clip 01.mp4")).startsWith("videos_2024_clip_01_mp4-").matches(SAFE);
    assertThat(SampleKey.of("s3://bucket/a/b.mp4")).startsWith("s3_bucket_a_b_mp4-");
    assertThat(SampleKey.of("Café Müller.mov")).startsWith("Cafe_Muller_mov-");
    assertThat(SampleKey.of("../../etc/passwd")).startsWith("etc_passwd-");
    assertThat(SampleKey.of("视频.mp4")).startsWith("mp4-");
    assertThat(SampleKey.of("..")).startsWith("clip-");
    assertThat(SampleKey.of("")).startsWith("clip-");
    assertThat(SampleKey.of("-rf --no-preserve-root")).startsWith("rf_--no-preserve-root-");
  }

  @Test
  void nothingCanTraverseSplitOrHideAndNothingCollides() {
    List<String> keys = List.of("../x", "/x", "x", "x/", ".x", "x.", "..x", "x..y", "a/b.mp4", "a_b.mp4", "a b.mp4",
        "a.b.mp4", "A.B.MP4", "\u0000x", "x\n", "C:\\x\\y.mp4", "~/x", "$(rm -rf /)", "x".repeat(5000),
        "y".repeat(5000), "z/" + "x".repeat(5000), "\uD83C\uDFAC.mp4", "\u202Ex.mp4");
    Set<String> names = new HashSet<>();
    for (String k : keys) {
      String s = SampleKey.of(k);
      assertThat(s).as(k).matches(SAFE).doesNotContain(".").doesNotContain("/").doesNotStartWith("-");
      assertThat(s.length()).isLessThanOrEqualTo(SampleKey.MAX_LENGTH);
      // KEY.NNNNNN.jpg fits a plain tar name even with ten-digit frame numbers
      assertThat((s + ".0123456789.jpg").length()).isLessThanOrEqualTo(100);
      names.add(s);
    }
    assertEquals(keys.size(), names.size(), "different keys, different names (the hash of the whole key)");
    assertEquals(SampleKey.of("a/b.mp4"), SampleKey.of("a/b.mp4"), "stable");
  }

  @Test
  void longKeysKeepTheirEndFromAWordsStart() {
    String s = SampleKey.of("some/very/long/prefix/that/goes/on/and/on/and/on/for/ever/the_clip_name.mp4");
    assertThat(s).startsWith("goes_on_and_on_and_on_for_ever_the_clip_name_mp4-"); // 48: cut between words
    // cut inside a word: the rest of that word goes
    assertEquals("x".repeat(37) + "_end", SampleKey.slug("abcdefgh/" + "x".repeat(37) + "/end"));
    assertThat(SampleKey.slug("x".repeat(100))).hasSize(SampleKey.MAX_SLUG);
  }
}
