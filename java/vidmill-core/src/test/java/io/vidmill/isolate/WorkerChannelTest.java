package io.vidmill.isolate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerChannelTest {
  @Test
  void sharedFilesOfDeadRunsAreSweptAndThoseOfLiveOnesKept(@TempDir Path dir) throws Exception {
    long dead = ProcessHandle.current().pid() + 10_000_000; // beyond pid_max on Linux: never alive
    Path stale = Files.createFile(dir.resolve("vidmill-worker-" + dead + "-123.shm"));
    Path live = Files.createFile(dir.resolve("vidmill-worker-" + ProcessHandle.current().pid() + "-456.shm"));
    Path other = Files.createFile(dir.resolve("someone-else.shm"));
    WorkerChannel.sweepStale(dir);
    assertThat(stale).doesNotExist();
    assertThat(live).exists();
    assertThat(other).exists();
  }

  @Test
  void signalsHaveTheirNames() {
    assertEquals("SIGSEGV", WorkerChannel.signalName(11));
    assertEquals("SIGABRT", WorkerChannel.signalName(6));
    assertEquals("signal 64", WorkerChannel.signalName(64));
  }
}
