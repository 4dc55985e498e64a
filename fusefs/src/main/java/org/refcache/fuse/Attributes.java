package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.refcache.posix.Posix;
import org.refcache.posix.StatVfs;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Filling FUSE's attribute structures for what has no real file to {@code lstat} straight into
 * them: the mount's own directories, an unlinked open file, a filesystem's capacity.
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
   * Puts a ref root's stand-in mode, owner and times ({@link #syntheticDirectory}) over its real
   * ones, keeping its real link count and size.
   */
  static void keepStandIn(FileStat stat, Instant time) {
    stat.st_mode.set(Posix.S_IFDIR | 0755);
    stat.st_uid.set(0);
    stat.st_gid.set(0);
    setTime(stat.st_atim, time);
    setTime(stat.st_mtim, time);
    setTime(stat.st_ctim, time);
  }

  /**
   * One of the mount's own directories: owned by root, mode 0755, dated {@code time}.
   *
   * @param nlink its link count; 1 where the number of subdirectories is not known (for
   *              {@code /refs}), which tells {@code find} and {@code fts} not to infer it
   */
  static void syntheticDirectory(FileStat stat, long ino, int nlink, Instant time) {
    keepStandIn(stat, time);
    stat.st_ino.set(ino);
    stat.st_nlink.set(nlink);
    stat.st_size.set(0);
    stat.st_blksize.set(4096);
  }

  /**
   * The attributes of the open file {@code fd} when it has no path any more (unlinked while open:
   * libfuse then passes a null path). {@code /proc/self/fd/N} still reaches such a file.
   */
  static void ofDescriptor(int fd, FileStat stat) throws IOException {
    Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:*");
    stat.st_dev.set(((Number) a.get("dev")).longValue());
    stat.st_ino.set(((Number) a.get("ino")).longValue());
    stat.st_mode.set(((Number) a.get("mode")).intValue());
    stat.st_nlink.set(((Number) a.get("nlink")).intValue());
    stat.st_uid.set(((Number) a.get("uid")).intValue());
    stat.st_gid.set(((Number) a.get("gid")).intValue());
    stat.st_rdev.set(((Number) a.get("rdev")).longValue());
    long size = ((Number) a.get("size")).longValue();
    stat.st_size.set(size);
    stat.st_blksize.set(4096);
    stat.st_blocks.set((size + 511) / 512);
    setTime(stat.st_atim, ((FileTime) a.get("lastAccessTime")).toInstant());
    setTime(stat.st_mtim, ((FileTime) a.get("lastModifiedTime")).toInstant());
    setTime(stat.st_ctim, ((FileTime) a.get("ctime")).toInstant());
  }

  /** Capacity and usage as {@code statvfs} reports them for the filesystem of the backing files. */
  static void capacity(StatVfs from, Statvfs to) {
    to.f_bsize.set(from.blockSize());
    to.f_frsize.set(from.fragmentSize());
    to.f_blocks.set(from.blocks());
    to.f_bfree.set(from.blocksFree());
    to.f_bavail.set(from.blocksAvailable());
    to.f_files.set(from.files());
    to.f_ffree.set(from.filesFree());
    to.f_favail.set(from.filesAvailable());
    to.f_namemax.set(MountPath.NAME_MAX);
  }

  private static void setTime(Timespec timespec, Instant time) {
    timespec.tv_sec.set(time.getEpochSecond());
    timespec.tv_nsec.set(time.getNano());
  }
}
