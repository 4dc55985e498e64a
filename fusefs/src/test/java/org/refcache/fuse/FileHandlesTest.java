package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.Posix;

/** The handle table and the descriptor operations, without a mount. */
class FileHandlesTest {

  @TempDir
  Path tmp;
  TestRefSource source = new TestRefSource();
  RefTrees trees;
  OpenFiles files = new OpenFiles();
  FileHandles handles = new FileHandles(files);
  Pointer buffer = Memory.allocateDirect(Runtime.getSystemRuntime(), 64);

  @BeforeEach
  void setUp() throws IOException {
    Path layer = Files.createDirectories(tmp.resolve("layer"));
    Files.writeString(layer.resolve("f"), "content");
    source.add("ro", new OverlayTree(List.of(layer)));
    source.add("w", new WritableOverlayTree(Files.createDirectories(tmp.resolve("upper")),
        List.of(layer)));
    trees = new RefTrees(source, 10);
  }

  @Test
  void unknownHandlesAreBadFileDescriptors() {
    assertThat(handles.read(12345, buffer, 10, 0)).isEqualTo(-Errno.EBADF);
    assertThat(handles.write(12345, buffer, 10, 0)).isEqualTo(-Errno.EBADF);
    assertThat(handles.truncate(12345, 0)).isEqualTo(-Errno.EBADF);
    assertThat(handles.fsync(12345, false)).isEqualTo(-Errno.EBADF);
    assertThatThrownBy(() -> handles.release(12345)).hasMessageContaining("EBADF");
  }

  @Test
  void aHandleReadsIntoTheBufferAndHoldsItsRefUntilReleased() throws IOException {
    long handle;
    try (RefTree ref = trees.acquire("ro").orElseThrow()) {
      handle = handles.open(ref, null, "f", Posix.O_RDONLY);
    }
    trees.invalidate("ro");
    assertThat(source.leasesHeld()).isEqualTo(1);

    assertThat(handles.read(handle, buffer, 64, 0)).isEqualTo(7);
    byte[] read = new byte[7];
    buffer.get(0, read, 0, 7);
    assertThat(new String(read)).isEqualTo("content");
    assertThat(handles.write(handle, buffer, 1, 0)).isEqualTo(-Errno.EBADF);

    handles.release(handle);
    assertThat(source.leasesHeld()).isZero();
    assertThat(files.size()).isZero();
  }

  @Test
  void writesStopWithReadOnlyFileSystemOnceTheTreeIsFrozen() throws IOException {
    long handle;
    WritableOverlayTree tree;
    try (RefTree ref = trees.acquire("w").orElseThrow()) {
      tree = (WritableOverlayTree) ref.tree();
      handle = handles.open(ref, tree, "f", Posix.O_RDWR);
    }
    buffer.put(0, "C".getBytes(), 0, 1);
    assertThat(handles.write(handle, buffer, 1, 0)).isEqualTo(1);

    tree.freeze();

    assertThat(handles.write(handle, buffer, 1, 0)).isEqualTo(-Errno.EROFS);
    assertThat(handles.truncate(handle, 0)).isEqualTo(-Errno.EROFS);
    assertThat(handles.read(handle, buffer, 64, 0)).isEqualTo(7);
    handles.release(handle);
    assertThat(Files.readString(tree.upper().resolve("f"))).isEqualTo("Content");
  }

  private String readAll(long handle) {
    int n = handles.read(handle, buffer, 64, 0);
    assertThat(n).isNotNegative();
    byte[] read = new byte[n];
    buffer.get(0, read, 0, n);
    return new String(read);
  }

  @Test
  void aReadOnlyHandleOnALowerFileFollowsItsCopyUpInItsOwnTreeOnly() throws IOException {
    Path layer = tmp.resolve("layer");
    WritableOverlayTree other = new WritableOverlayTree(
        Files.createDirectories(tmp.resolve("upper2")), List.of(layer));
    source.add("w2", other);
    long reader;
    long otherReader;
    WritableOverlayTree tree;
    try (RefTree ref = trees.acquire("w").orElseThrow();
         RefTree ref2 = trees.acquire("w2").orElseThrow()) {
      tree = (WritableOverlayTree) ref.tree();
      reader = handles.open(ref, null, "f", Posix.O_RDONLY);
      otherReader = handles.open(ref2, null, "f", Posix.O_RDONLY);
      assertThat(files.lowerFilesFollowed()).isEqualTo(2);

      tree.rename("f", "g", 0); // copied up, then renamed: the handle follows the file
      Files.writeString(tree.upper().resolve("g"), "changed");
      assertThat(readAll(reader)).isEqualTo("changed");
      assertThat(readAll(otherReader)).isEqualTo("content");
      assertThat(files.lowerFilesFollowed()).isEqualTo(1);

      other.openForWrite("f", true); // copied up without content
      assertThat(readAll(otherReader)).isEmpty();
      assertThat(files.lowerFilesFollowed()).isZero();

      long late = handles.open(ref, null, "g", Posix.O_RDONLY); // an upper file: not indexed
      assertThat(files.lowerFilesFollowed()).isZero();
      handles.release(late);
    }
    handles.release(reader);
    handles.release(otherReader);
    assertThat(Files.readString(layer.resolve("f"))).isEqualTo("content");
    assertThat(files.size()).isZero();
  }

  @Test
  void releasedLowerReadersAreNoLongerFollowed() throws IOException {
    try (RefTree ref = trees.acquire("w").orElseThrow()) {
      long reader = handles.open(ref, null, "f", Posix.O_RDONLY);
      handles.release(reader);
      assertThat(files.lowerFilesFollowed()).isZero();
      ((WritableOverlayTree) ref.tree()).copyUp("f"); // nothing to re-point, nothing opened
      assertThat(handles.read(reader, buffer, 64, 0)).isEqualTo(-Errno.EBADF);
    }
  }

  @Test
  void closingTheTableClosesEveryFileEvenWhenOneFails() throws IOException {
    RefTree ref = trees.acquire("ro").orElseThrow();
    handles.open(ref, null, "f", Posix.O_RDONLY);
    long second = handles.open(ref, null, "f", Posix.O_RDONLY);
    ref.close();
    Descriptors.close(files.get(second).fd()); // its close will fail with EBADF

    assertThatThrownBy(files::close).hasMessageContaining("EBADF");

    assertThat(files.size()).isZero();
    trees.close();
    assertThat(source.leasesHeld()).isZero();
  }
}
