package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Parsing and describing a sampling rule (no native code). */
class SamplingTest {
  @Test
  void parsesEveryForm() {
    assertEquals(Sampling.ALL, Sampling.parse("all"));
    assertEquals(Sampling.of(Sampling.Mode.EVERY, 3, Rational.UNKNOWN), Sampling.parse("every=3"));
    assertEquals(Sampling.of(Sampling.Mode.UNIFORM, 5, Rational.UNKNOWN), Sampling.parse(" Uniform=5 "));
    assertEquals(Sampling.of(Sampling.Mode.KEYFRAMES, 0, Rational.UNKNOWN), Sampling.parse("keyframes"));
    assertEquals(new Rational(1, 1), Sampling.parse("fps=1").rate());
    assertEquals(new Rational(15, 2), Sampling.parse("fps=7.5").rate());
    assertEquals(new Rational(30000, 1001), Sampling.parse("fps=30000/1001").rate());
    assertEquals(new Rational(1, 4), Sampling.parse("fps=0.25").rate());
    assertEquals(new Rational(2, 1), Sampling.parse("fps=4/2").rate());
  }

  @Test
  void specReadsBackAsTheSameRule() {
    for (String spec : new String[] {"all", "every=3", "uniform=5", "keyframes", "fps=7.5", "fps=30000/1001", "fps=0.25"}) {
      assertEquals(spec, Sampling.parse(spec).spec());
      assertEquals(Sampling.parse(spec), Sampling.parse(Sampling.parse(spec).spec()));
    }
  }

  @Test
  void refusesWhatIsNotARule() {
    for (String bad : new String[] {"every", "every=0", "every=-2", "uniform=x", "fps=0", "fps=-1", "fps=1/0",
                                    "fps=", "keyframes=2", "all=1", "sometimes", "fps=1.0000000001", "fps=3000000000"}) {
      assertThatThrownBy(() -> Sampling.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("");
    }
    assertThatThrownBy(() -> Sampling.parse("sometimes")).hasMessageContaining("every=N");
  }

  @Test
  void aWindowEndsAfterItStarts() {
    Sampling s = Sampling.parse("fps=1");
    assertThatThrownBy(() -> s.withWindow(Duration.ofSeconds(2), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after the start");
    assertThat(s.withWindow(Duration.ofMillis(2500), null).withMaxFrames(5).toString())
        .isEqualTo("fps=1 [2.5, ) s, at most 5");
    assertThat(s.selectsEverything()).isFalse();
    assertThat(Sampling.ALL.selectsEverything()).isTrue();
    assertThat(Sampling.ALL.withMaxFrames(3).selectsEverything()).isFalse();
    assertThat(Sampling.ALL.withWindow(null, Duration.ofSeconds(1)).selectsEverything()).isFalse();
  }
}
