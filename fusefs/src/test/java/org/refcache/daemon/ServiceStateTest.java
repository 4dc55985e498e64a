package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.fuse.MountPrivileges;

class ServiceStateTest {
  @TempDir
  Path dir;

  @Test
  void missingFileIsTheEmptyState() throws IOException {
    assertThat(ServiceState.load(dir.resolve(ServiceState.FILE))).isEqualTo(ServiceState.EMPTY);
  }

  @Test
  void savedStateLoadsBackAndLeavesNoTemporaryFile() throws IOException {
    Path f = dir.resolve(ServiceState.FILE);
    ServiceState s = new ServiceState(ServiceState.FORMAT, List.of("a", "b"), List.of("m"),
        List.of(new ServiceState.BindMount("/x y", "a", true, true, false)), List.of(new ServiceState.Committed("n", "b")));

    s.save(f);
    new ServiceState(ServiceState.FORMAT, List.of("c"), List.of(), List.of(), List.of()).save(f);
    s.save(f);

    assertThat(ServiceState.load(f)).usingRecursiveComparison().ignoringFields("written").isEqualTo(s);
    try (var l = Files.list(dir)) {
      assertThat(l.map(p -> p.getFileName().toString())).containsExactly(ServiceState.FILE);
    }
  }

  /**
   * A save stamps the state with the clock records are stamped with, not the kernel's coarse file
   * time, so that a record made just before the write reads as made before it (Leftovers).
   */
  @Test
  void aSavedStateCarriesWhenItWasWritten() throws IOException {
    Path f = dir.resolve(ServiceState.FILE);
    java.time.Instant before = java.time.Instant.now();
    ServiceState.EMPTY.save(f);
    java.time.Instant after = java.time.Instant.now();

    assertThat(ServiceState.load(f).writtenAt()).isBetween(before, after);
    Files.writeString(f, "{\"version\":1,\"written\":\"yesterday\"}");
    assertThat(ServiceState.load(f).writtenAt()).as("an unreadable stamp").isNull();
  }

  /** A state file from before --suid and --dev keeps its mounts nosuid,nodev. */
  @Test
  void aBindMountSavedWithoutPrivilegesReadsAsNosuidNodev() throws IOException {
    Path f = dir.resolve(ServiceState.FILE);
    Files.writeString(f, "{\"version\":1,\"mounts\":[{\"dir\":\"/rootfs\",\"id\":\"a\",\"readOnly\":true}]}");

    ServiceState.BindMount m = ServiceState.load(f).mounts().get(0);

    assertThat(m).isEqualTo(new ServiceState.BindMount("/rootfs", "a", true, false, false));
    assertThat(m.privileges()).isEqualTo(MountPrivileges.NONE);
  }

  @Test
  void unknownFieldsAreIgnoredButANewerFormatIsRefused() throws IOException {
    Path f = dir.resolve(ServiceState.FILE);
    Files.writeString(f, "{\"version\":1,\"immutables\":[\"a\"],\"future\":true}");
    assertThat(ServiceState.load(f).immutables()).containsExactly("a");
    Files.writeString(f, "{\"version\":2}");
    assertThatThrownBy(() -> ServiceState.load(f)).isInstanceOf(IOException.class).hasMessageContaining("newer");
  }

  @Test
  void aSaveThatRunsOutOfSpaceNamesTheFileKeepsTheOldStateAndLeavesNoTemporaryFile() throws Exception {
    try (SmallDisk disk = SmallDisk.mount(dir.resolve("small"), "1m")) {
      Path f = disk.dir().resolve(ServiceState.FILE);
      ServiceState old = new ServiceState(ServiceState.FORMAT, List.of("a"), List.of(), List.of(), List.of());
      old.save(f);
      disk.fill();
      ServiceState next = new ServiceState(ServiceState.FORMAT, List.of("a", "b"), List.of("m"), List.of(), List.of());

      assertThatThrownBy(() -> next.save(f)).isInstanceOf(IOException.class)
          .hasMessageContaining(f.toString())
          .hasMessageContaining("No space left on device");

      assertThat(disk.dir().resolve(ServiceState.FILE + ".tmp")).doesNotExist();
      assertThat(ServiceState.load(f)).usingRecursiveComparison().ignoringFields("written").isEqualTo(old);
      disk.free();
      next.save(f);
      assertThat(ServiceState.load(f)).usingRecursiveComparison().ignoringFields("written").isEqualTo(next);
    }
  }

  @Test
  void anUnfinishedSaveIsDiscardedAndTheLastCompleteOneStays() throws IOException {
    Path f = dir.resolve(ServiceState.FILE);
    ServiceState s = new ServiceState(ServiceState.FORMAT, List.of("a"), List.of(), List.of(), List.of());
    s.save(f);
    Files.writeString(dir.resolve(ServiceState.FILE + ".tmp"), "{\"version\":1,\"immut");

    ServiceState.discardUnfinishedSave(f);

    assertThat(dir.resolve(ServiceState.FILE + ".tmp")).doesNotExist();
    assertThat(ServiceState.load(f)).usingRecursiveComparison().ignoringFields("written").isEqualTo(s);
  }

  @Test
  void aFileWrittenBeforeCommittedMutablesWereKeptLoadsWithNone() throws IOException {
    Path f = dir.resolve(ServiceState.FILE);
    Files.writeString(f, "{\"version\":1,\"immutables\":[\"t\"],\"mutables\":[\"m\"],\"mounts\":[]}");

    ServiceState s = ServiceState.load(f);

    assertThat(s.immutables()).containsExactly("t");
    assertThat(s.mutables()).containsExactly("m");
    assertThat(s.committed()).isEmpty();
  }

  @Test
  void aWriteThatFailsLeavesTheOldStateAndNoTemporaryFile() throws IOException {
    Path f = dir.resolve(ServiceState.FILE);
    ServiceState old = new ServiceState(ServiceState.FORMAT, List.of("a"), List.of(), List.of(), List.of());
    old.save(f);
    // The rename cannot replace a non-empty directory: the write fails after the temporary file is written.
    Files.delete(f);
    Files.createDirectories(f.resolve("in-the-way"));

    assertThatThrownBy(() -> ServiceState.EMPTY.save(f)).isInstanceOf(IOException.class)
        .hasMessageContaining("cannot write the service's state to " + f);

    try (var l = Files.list(dir)) {
      assertThat(l.map(p -> p.getFileName().toString())).containsExactly(ServiceState.FILE);
    }
  }
}
