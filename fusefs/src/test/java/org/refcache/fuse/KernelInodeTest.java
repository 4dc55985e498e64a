package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.testing.LayerBuilder;

/**
 * A file is one inode, whatever its names: with attribute timeouts of five minutes, a change
 * through one name of a hard-linked file must still be seen through the others at once. The
 * kernel transport gives every file one kernel inode; under libfuse 2.9 each name has an inode of
 * its own, stale for the attribute timeout ({@link TransportLimits}). Also files unlinked or
 * renamed over while open, on both transports.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(FuseOptions.Transport.class)
class KernelInodeTest extends ViewOnEachTransport {

  KernelInodeTest(FuseOptions.Transport transport) {
    super(transport);
  }

  Path ref;

  @BeforeEach
  void setUp() throws IOException {
    Path lower = view.layer("l");
    LayerBuilder.allAt(lower, LayerBuilder.OLD).file("x", "pair");
    Files.createLink(lower.resolve("y"), lower.resolve("x"));
    view.addWritable("w", lower);
    FuseMount mount = view.mount(FuseOptions.defaults()
        .withTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(5)));
    assertThat(mount.transport()).isEqualTo(transport);
    ref = view.ref("w");
  }

  @Test
  void aNewLinkRaisesTheLinkCountSeenThroughTheFirstName() throws IOException {
    Files.writeString(ref.resolve("a"), "one");
    assertThat(Posix.lstat(ref.resolve("a")).nlink()).isEqualTo(1);

    Files.createLink(ref.resolve("b"), ref.resolve("a"));

    assertThat(Posix.lstat(ref.resolve("a")).nlink()).isEqualTo(2);
    assertThat(Posix.lstat(ref.resolve("b")).ino()).isEqualTo(Posix.lstat(ref.resolve("a")).ino());
  }

  @Test
  void unlinkingOneNameLowersTheCountOfTheOther() throws IOException {
    Files.writeString(ref.resolve("a"), "one");
    Files.createLink(ref.resolve("b"), ref.resolve("a"));
    assertThat(Posix.lstat(ref.resolve("b")).nlink()).isEqualTo(2);

    Files.delete(ref.resolve("a"));

    assertThat(Posix.lstat(ref.resolve("b")).nlink()).isEqualTo(1);
  }

  @Test
  void modeAndContentChangedThroughOneNameShowThroughTheOther() throws IOException {
    Files.writeString(ref.resolve("a"), "one");
    Files.createLink(ref.resolve("b"), ref.resolve("a"));
    assertThat(Files.readString(ref.resolve("a"))).isEqualTo("one");

    Files.setPosixFilePermissions(ref.resolve("b"), PosixFilePermissions.fromString("rw-------"));
    Files.writeString(ref.resolve("b"), "two, longer");

    assertThat(Posix.lstat(ref.resolve("a")).mode() & 07777).isEqualTo(0600);
    assertThat(Files.readString(ref.resolve("a"))).isEqualTo("two, longer");
  }

  @Test
  void aLowerPairOfLinksStaysOneFileThroughCopyUp() throws IOException {
    assertThat(Files.readString(ref.resolve("y"))).isEqualTo("pair");
    long ino = Posix.lstat(ref.resolve("y")).ino();

    Files.writeString(ref.resolve("x"), "copied up");

    assertThat(Files.readString(ref.resolve("y"))).isEqualTo("copied up");
    assertThat(Posix.lstat(ref.resolve("y")).ino()).isEqualTo(ino);
    assertThat(Posix.lstat(ref.resolve("y")).nlink()).isEqualTo(2);
  }

  @Test
  void aFileRenamedOverAnOpenOneLeavesItReadableAndStatable() throws IOException {
    Files.writeString(ref.resolve("old"), "kept open");
    Files.writeString(ref.resolve("new"), "replacement");
    try (var in = Files.newByteChannel(ref.resolve("old"))) {
      Files.move(ref.resolve("new"), ref.resolve("old"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(64);
      int n = in.read(buf);
      assertThat(new String(buf.array(), 0, n)).isEqualTo("kept open");
      assertThat(in.size()).isEqualTo("kept open".length());
    }
    assertThat(Files.readString(ref.resolve("old"))).isEqualTo("replacement");
    // Opens without requests: the replacement's node keeps the file its read opened while the
    // kernel holds the node; the replaced file's went when the kernel forgot it.
    int kept = view.mounted().opensWithoutRequests() ? 1 : 0;
    view.awaitOpenFiles(kept);
    assertThat(view.mounted().openFiles()).isEqualTo(kept);
  }

  @Test
  void aRenameOverAnOpenFileThatFailsLeavesTheFileInPlace() throws IOException {
    Path lower = view.layer("ro");
    LayerBuilder.allAt(lower, LayerBuilder.OLD).file("f", "read-only");
    // (the fixture's source serves refs added after the mount at their first access)
    view.addReadOnly("ro", lower);
    Files.writeString(ref.resolve("t"), "stays");
    try (var in = Files.newByteChannel(ref.resolve("t"))) {
      assertThat(Errnos.of(() -> Posix.renameat2(view.ref("ro").resolve("f"),
          ref.resolve("t"), 0))).isIn(org.refcache.posix.Errno.EXDEV,
          org.refcache.posix.Errno.EROFS);
    }
    assertThat(Files.readString(ref.resolve("t"))).isEqualTo("stays");
  }

  @Test
  void writeCloseUnlinkInAHurryLeavesNoHiddenFileBehind() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
    try {
      java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 6; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < 300; i++) {
            Path f = ref.resolve("f" + thread + "_" + i);
            Files.writeString(f, "x");
            Files.delete(f);
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    view.awaitAllReleased();
    assertThat(view.mounted().unlinkedFiles()).isZero();
  }

  /**
   * A file reached through a descriptor of its directory while another thread renames that
   * directory back and forth is always found, as on ext4: a node's path is not used after a
   * rename moved it.
   */
  @Test
  void aDirectoryRenamedBackAndForthNeverLosesAFileOpenedThroughIt() throws Exception {
    Files.createDirectory(ref.resolve("d1"));
    Files.writeString(ref.resolve("d1/f"), "found");
    int dirFd = Descriptors.open(ref.resolve("d1"), Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC,
        0);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread renamer = new Thread(() -> {
      try {
        while (!stop.get()) {
          Files.move(ref.resolve("d1"), ref.resolve("d2"));
          Files.move(ref.resolve("d2"), ref.resolve("d1"));
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    int misses = 0;
    try {
      renamer.start();
      Path viaDescriptor = Path.of("/proc/self/fd/" + dirFd + "/f");
      for (int i = 0; i < 3000; i++) {
        try {
          if (!Files.readString(viaDescriptor).equals("found")) {
            misses++;
          }
        } catch (IOException e) {
          misses++;
        }
      }
    } finally {
      stop.set(true);
      renamer.join();
      Descriptors.close(dirFd);
    }
    assertThat(misses).isZero();
  }
}
