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
  void aChannelTakesAChildStartedAheadForItsCommandAndTheOthersAreEnded(@TempDir Path dir) throws Exception {
    Path crashes = Files.createDirectories(dir.resolve("crashes"));
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    WorkerChannel.startAhead(2, crashes);
    try {
      assertThat(children()).hasSize(2);
      try (WorkerChannel mine = new WorkerChannel(0, crashes)) {
        mine.start();
        assertEquals(1, mine.starts());
        assertThat(children()).hasSize(2); // it took one of the two and started none
        try (WorkerChannel other = new WorkerChannel(0, elsewhere)) {
          other.start(); // its children write their reports elsewhere: a spare does not fit
          assertThat(children()).hasSize(3);
        }
        WorkerChannel.discardSpares();
        assertThat(children()).hasSize(1);
      }
      assertThat(children()).isEmpty();
    } finally {
      WorkerChannel.discardSpares();
    }
    try (var left = Files.list(Path.of("/dev/shm"))) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("vidmill-worker-" + ProcessHandle.current().pid() + "-"));
    }
  }

  private static java.util.List<ProcessHandle> children() {
    return ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList();
  }

  @Test
  void whatTheChildsJvmPrintsBeforeTheHandshakeIsSkipped() throws Exception {
    var bytes = new java.io.ByteArrayOutputStream();
    var out = new java.io.DataOutputStream(bytes);
    out.writeBytes("[0.027s][info][gc] Using Serial\n[0.7s][info][jfr,startup] Started recording 1. VMWR\n");
    out.writeInt(0);
    out.writeInt(WorkerChannel.READY);
    out.writeInt(42);
    var in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()));
    assertEquals(WorkerChannel.READY, WorkerChannel.awaitHandshake(in));
    assertEquals(42, in.readInt()); // the channel goes on right after it

    var unavailable = new java.io.ByteArrayOutputStream();
    new java.io.DataOutputStream(unavailable).writeLong(WorkerChannel.UNAVAILABLE);
    assertEquals(WorkerChannel.UNAVAILABLE,
        WorkerChannel.awaitHandshake(new java.io.ByteArrayInputStream(unavailable.toByteArray())));
    org.junit.jupiter.api.Assertions.assertThrows(java.io.EOFException.class,
        () -> WorkerChannel.awaitHandshake(new java.io.ByteArrayInputStream("no handshake".getBytes())));
  }

  @Test
  void signalsHaveTheirNames() {
    assertEquals("SIGSEGV", WorkerChannel.signalName(11));
    assertEquals("SIGABRT", WorkerChannel.signalName(6));
    assertEquals("signal 64", WorkerChannel.signalName(64));
  }
}
