package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.refcache.posix.Posix;

/**
 * Attributes of what has no real file to {@code lstat} straight into {@link FileAttributes}: the
 * mount's own directories, a ref's root before it is unpacked, an unlinked open file.
 */
final class Attributes {

  /** {@code st_ino} of {@code /} (FUSE's root node ID; the kernel shows what we answer). */
  static final long ROOT_INO = 1;
  /** {@code st_ino} of {@code /refs}. */
  static final long REFS_INO = 2;
  /**
   * Ref roots number from here up: above every ext4 inode number (32 bits), so never one of a
   * file inside a ref, and 48 bits of a hash of the ID, so two refs practically never share one.
   */
  private static final long REF_ROOT_INO_BASE = 1L << 48;

  /**
   * {@code st_ino} of {@code /refs/<id>}: the same before the ref's layers are unpacked (when its
   * directory answers without them) and after, so tools that compare a directory's number across
   * a walk ({@code find}, {@code du}) see one directory.
   */
  static long refRootIno(String id) {
    long hash = 0xcbf29ce484222325L; // FNV-1a, 64 bits
    for (int i = 0; i < id.length(); i++) {
      hash ^= id.charAt(i);
      hash *= 0x100000001b3L;
    }
    return REF_ROOT_INO_BASE | (hash & (REF_ROOT_INO_BASE - 1));
  }

  private Attributes() {
  }

  /**
   * Puts a ref root's stand-in mode, owner, times and size ({@link #syntheticDirectory}) over its
   * real ones, keeping its real link count: GNU tar reports a directory whose ctime moved or whose
   * size grew while it read it as "changed as we read it" (and exits 1).
   */
  static void keepStandIn(FileAttributes attributes, Instant time) {
    attributes.setMode(Posix.S_IFDIR | 0755);
    attributes.setOwner(0, 0);
    attributes.setAtime(time);
    attributes.setMtime(time);
    attributes.setCtime(time);
    attributes.setSize(0);
    attributes.setBlocks(0);
  }

  /**
   * One of the mount's own directories: owned by root, mode 0755, dated {@code time}.
   *
   * @param nlink its link count; 1 where the number of subdirectories is not known (for
   *              {@code /refs}), which tells {@code find} and {@code fts} not to infer it
   */
  static void syntheticDirectory(FileAttributes attributes, long ino, int nlink, Instant time) {
    keepStandIn(attributes, time);
    attributes.setIno(ino);
    attributes.setNlink(nlink);
    attributes.setSize(0);
    attributes.setBlksize(4096);
  }

  /**
   * The attributes of the open file {@code fd} when it has no path any more (unlinked while
   * open). {@code /proc/self/fd/N} still reaches such a file.
   */
  static void ofDescriptor(int fd, FileAttributes attributes) throws IOException {
    Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:*");
    attributes.setDev(((Number) a.get("dev")).longValue());
    attributes.setIno(((Number) a.get("ino")).longValue());
    attributes.setMode(((Number) a.get("mode")).intValue());
    attributes.setNlink(((Number) a.get("nlink")).intValue());
    attributes.setOwner(((Number) a.get("uid")).intValue(), ((Number) a.get("gid")).intValue());
    attributes.setRdev(((Number) a.get("rdev")).longValue());
    long size = ((Number) a.get("size")).longValue();
    attributes.setSize(size);
    attributes.setBlksize(4096);
    attributes.setBlocks((size + 511) / 512);
    attributes.setAtime(((FileTime) a.get("lastAccessTime")).toInstant());
    attributes.setMtime(((FileTime) a.get("lastModifiedTime")).toInstant());
    attributes.setCtime(((FileTime) a.get("ctime")).toInstant());
  }
}
