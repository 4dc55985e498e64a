package org.refcache.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Mounting;
import org.refcache.posix.Posix;

/**
 * A small tmpfs mounted for one test, to run out of space on purpose: {@link #fill()} takes every free
 * byte, {@link #free()} gives them back. {@link #close()} detaches it even when the test failed.
 */
final class SmallDisk implements AutoCloseable {
  private final Path dir;
  private final Path filler;

  private SmallDisk(Path dir) {
    this.dir = dir;
    this.filler = dir.resolve("filler");
  }

  /** Mounts a tmpfs of {@code size} (mount's syntax: {@code 16m}) at {@code dir}, creating it. */
  static SmallDisk mount(Path dir, String size) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "refcache-test-small",
        dir.toString()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException("mounting a tmpfs at " + dir + " failed");
    }
    return new SmallDisk(dir);
  }

  Path dir() {
    return dir;
  }

  /** Bytes free for new data. */
  long freeBytes() throws IOException {
    return Posix.statvfs(dir).availableBytes();
  }

  /** Writes a file until the disk is full. */
  void fill() throws IOException {
    byte[] chunk = new byte[64 << 10];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      if (freeBytes() != 0) {
        throw e;
      }
    }
  }

  /** Takes all free space but {@code keep} bytes. */
  void fillBut(long keep) throws IOException {
    Files.deleteIfExists(filler);
    Files.createFile(filler);
    Descriptors.fallocate(filler, 0, freeBytes() - keep);
  }

  /** Removes what {@link #fill()} or {@link #fillBut} wrote. */
  void free() throws IOException {
    Files.deleteIfExists(filler);
  }

  /** Grows (or shrinks) the tmpfs in place, keeping its files. */
  void resize(String size) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("mount", "-o", "remount,size=" + size, dir.toString()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException("resizing the tmpfs at " + dir + " failed");
    }
  }

  @Override
  public void close() throws IOException {
    Mounting.umount(dir, Mounting.MNT_DETACH);
  }
}
