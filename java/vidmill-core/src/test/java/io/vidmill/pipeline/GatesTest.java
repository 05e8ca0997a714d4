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
  void atTheEndTheActiveDecodersDrainAndTheParkedOnesLeaveWithoutTakingWork() throws Exception {
    Gates.Workers g = new Gates.Workers(2);
    java.util.concurrent.atomic.AtomicReference<Boolean> parkedMayWork = new java.util.concurrent.atomic.AtomicReference<>();
    Thread parked = Thread.ofPlatform().start(() -> {
      try {
        parkedMayWork.set(g.await(3));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    parked.join(200);
    assertTrue(parked.isAlive(), "decoder 3 of 2 must wait");
    assertEquals(2, g.end()); // two end markers: one per active decoder
    g.setActive(5); // a late decision of the tuner changes nothing now
    parked.join(TimeUnit.SECONDS.toMillis(5));
    assertThat(parked.isAlive()).isFalse();
    assertThat(parkedMayWork.get()).isFalse();
    assertThat(g.await(1)).isTrue(); // an active decoder goes on to drain the queue
    assertThat(g.await(7)).isFalse();
  }
}
