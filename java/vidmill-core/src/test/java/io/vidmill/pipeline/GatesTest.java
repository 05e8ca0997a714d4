package io.vidmill.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GatesTest {
  @Test
  void resizingKeepsPermitsInUseAndTakesEffectAsTheyReturn() throws Exception {
    Gates.Resizable s = new Gates.Resizable(4);
    s.acquire(3);
    s.resize(2);
    assertEquals(2, s.size());
    assertEquals(3, s.inUse());
    assertThat(s.tryAcquire()).isFalse();
    s.release(2); // 1 held: one more fits under the new size of 2, not two
    assertThat(s.tryAcquire()).isTrue();
    assertThat(s.tryAcquire()).isFalse();
    s.resize(8);
    assertEquals(6, s.availablePermits());
  }

  @Test
  void parkedWorkersWakeWhenTheRunEndsAndStayAwakeWhateverTheTunerSaysLater() throws Exception {
    Gates.Workers g = new Gates.Workers(1);
    Thread parked = Thread.ofPlatform().start(() -> {
      try {
        g.await(3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    parked.join(200);
    assertTrue(parked.isAlive(), "decoder 3 of 1 must wait");
    g.openAll();
    g.setActive(1); // a late decision of the tuner
    parked.join(TimeUnit.SECONDS.toMillis(5));
    assertThat(parked.isAlive()).isFalse();
    g.await(7); // returns at once
  }
}
