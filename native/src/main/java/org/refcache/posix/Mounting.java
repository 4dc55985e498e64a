package org.refcache.posix;

import java.io.IOException;
import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * Mounting and unmounting ({@code mount(2)}, {@code umount2(2)}): the FUSE mount itself and the
 * bind mounts of refs. Failures throw what {@link ErrnoMapper} maps the errno to.
 */
public final class Mounting {

  /** {@link #umount}: force, even if busy (meaningful for network filesystems). */
  public static final int MNT_FORCE = 1;
  /** {@link #umount}: detach now, clean up when no longer busy (lazy unmount). */
  public static final int MNT_DETACH = 2;

  /** {@link #mount}, {@link #bindMount}: read-only. */
  public static final long MS_RDONLY = 1;
  /** {@link #mount}, {@link #bindMount}: setuid and setgid bits (and file capabilities) ignored. */
  public static final long MS_NOSUID = 2;
  /** {@link #mount}, {@link #bindMount}: device nodes cannot be opened. */
  public static final long MS_NODEV = 4;
  static final long MS_REMOUNT = 32;
  static final long MS_BIND = 4096;
  /** The per-mount flags {@link #bindMount} sets; others are refused. */
  private static final long BIND_FLAGS = MS_RDONLY | MS_NOSUID | MS_NODEV;

  private Mounting() {
  }

  /**
   * Bind-mounts directory or file {@code source} onto {@code target} (not recursively: mounts
   * below {@code source} are not carried along), read-write, {@code nosuid} and {@code nodev}
   * ({@link #bindMount(Path, Path, long)}), or read-only too.
   */
  public static void bindMount(Path source, Path target, boolean readOnly) throws IOException {
    bindMount(source, target, MS_NOSUID | MS_NODEV | (readOnly ? MS_RDONLY : 0));
  }

  /**
   * Bind-mounts directory or file {@code source} onto {@code target} (not recursively) and gives
   * the new mount exactly the per-mount {@code flags}: any of {@link #MS_RDONLY},
   * {@link #MS_NOSUID}, {@link #MS_NODEV}. The kernel ignores these on the bind itself, which
   * copies the source mount's instead (a bind of a {@code nosuid} mount is {@code nosuid}); a
   * second, remounting call sets them, clearing what {@code flags} leaves out. If that fails the
   * bind is undone, so no mount with more rights than asked for is left behind.
   *
   * @throws IllegalArgumentException if {@code flags} holds other bits
   */
  public static void bindMount(Path source, Path target, long flags) throws IOException {
    if ((flags & ~BIND_FLAGS) != 0) {
      throw new IllegalArgumentException("not a bind mount flag: 0x" + Long.toHexString(flags & ~BIND_FLAGS));
    }
    String from = source.toString();
    String to = target.toString();
    if (Library.LIBC.mount(from, to, null, MS_BIND, (Pointer) null) != 0) {
      throw ErrnoMapper.toException("mount(MS_BIND)", Posix.errno(), from, to);
    }
    if (Library.LIBC.mount(null, to, null, MS_REMOUNT | MS_BIND | flags, (Pointer) null) != 0) {
      IOException failure =
          ErrnoMapper.toException("mount(MS_REMOUNT|MS_BIND" + flagNames(flags) + ")", Posix.errno(), to, null);
      if (Library.LIBC.umount2(to, MNT_DETACH) != 0) {
        failure.addSuppressed(ErrnoMapper.toException("umount2(MNT_DETACH)", Posix.errno(), to, null));
      }
      throw failure;
    }
  }

  private static String flagNames(long flags) {
    return ((flags & MS_RDONLY) != 0 ? "|MS_RDONLY" : "") + ((flags & MS_NOSUID) != 0 ? "|MS_NOSUID" : "")
        + ((flags & MS_NODEV) != 0 ? "|MS_NODEV" : "");
  }

  /**
   * Mounts a file system of type {@code fstype} from {@code source} at {@code target}
   * ({@code mount(2)}), {@code data} being its options ({@code "fd=5,rootmode=40000,..."} for
   * FUSE).
   *
   * @param flags {@code MS_*} flags (0: read-write, setuid programs and devices allowed;
   *     {@link #MS_NOSUID}, {@link #MS_NODEV}, {@link #MS_RDONLY})
   */
  public static void mount(String source, Path target, String fstype, long flags, String data)
      throws IOException {
    String path = target.toString();
    if (Library.LIBC.mount(source, path, fstype, flags, data) != 0) {
      throw ErrnoMapper.toException("mount(" + fstype + ")", Posix.errno(), path, null);
    }
  }

  /**
   * Unmounts {@code target} ({@code umount2(2)}).
   *
   * @param flags 0, {@link #MNT_DETACH} and/or {@link #MNT_FORCE}
   */
  public static void umount(Path target, int flags) throws IOException {
    String path = target.toString();
    Posix.check(Library.LIBC.umount2(path, flags), "umount2", path);
  }
}
