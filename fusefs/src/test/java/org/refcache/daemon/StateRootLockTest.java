package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateRootLockTest {
  @TempDir
  Path root;

  @Test
  void theHolderRecordsItsPidAndASecondLockOfTheRootIsRefusedNamingIt() throws IOException {
    long pid = ProcessHandle.current().pid();
    try (StateRootLock first = StateRootLock.acquire(root)) {
      assertThat(Files.readString(first.file()).strip()).isEqualTo(Long.toString(pid));

      // In the same process too: reading the PID (another descriptor of the file) must not drop the lock.
      assertThatThrownBy(() -> StateRootLock.acquire(root))
          .isInstanceOfSatisfying(StateRootInUseException.class, e -> assertThat(e.holderPid()).isEqualTo(pid))
          .hasMessageContaining("PID " + pid)
          .hasMessageContaining(root.toString());
      assertThatThrownBy(() -> StateRootLock.acquire(root)).isInstanceOf(StateRootInUseException.class);
    }
  }

  @Test
  void closingReleasesTheRootForTheNextService() throws IOException {
    StateRootLock.acquire(root).close();

    try (StateRootLock next = StateRootLock.acquire(root)) {
      assertThat(next.file()).exists();
    }
  }

  @Test
  void aLockHeldByAnotherProcessIsRefusedAndGoesWhenThatProcessDies() throws Exception {
    Path file = root.resolve(StateRootLock.FILE);
    Files.writeString(file, "");
    // flock(1) holds the lock for as long as its command runs, as a second service would.
    Process holder = new ProcessBuilder("flock", "--exclusive", file.toString(), "sleep", "600").start();
    try {
      while (!lockedByOther(root)) {
        assertThat(holder.isAlive()).as("flock is running").isTrue();
        Thread.sleep(20);
      }
    } finally {
      holder.descendants().forEach(ProcessHandle::destroyForcibly);
      holder.destroyForcibly();
      holder.waitFor();
    }
    while (lockedByOther(root)) {
      Thread.sleep(20); // the sleep child may outlive flock for a moment
    }
    StateRootLock.acquire(root).close();
  }

  private static boolean lockedByOther(Path root) throws IOException {
    try (StateRootLock l = StateRootLock.acquire(root)) {
      return false;
    } catch (StateRootInUseException e) {
      return true;
    }
  }
}
