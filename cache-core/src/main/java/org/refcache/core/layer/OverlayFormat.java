package org.refcache.core.layer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * The on-disk format of an overlayfs upper directory, the one place for its names: unpacked
 * layers, the uppers of mutable refs and the union trees over them ({@code core.overlay}) all
 * follow it, so that an upper written here is a valid overlayfs {@code upperdir} and any overlayfs
 * upper is a valid layer here. A deleted name is a whiteout, a character device with device number
 * 0/0; a directory that hides everything below it carries the xattr
 * {@value #OPAQUE_XATTR}{@code =y}. The OCI tar spellings of the same things are the
 * {@value #WHITEOUT_PREFIX} names. These are the kernel's and OCI's values: none can change.
 */
public final class OverlayFormat {
  /** The xattr that makes a directory opaque; its value is {@code y}. */
  public static final String OPAQUE_XATTR = "trusted.overlay.opaque";
  /** A whiteout is a character device with this device number (0/0). */
  public static final long WHITEOUT_RDEV = 0L;
  /** Prefix of an OCI whiteout entry name: {@code .wh.<name>} deletes {@code <name>}. */
  public static final String WHITEOUT_PREFIX = ".wh.";
  /** Prefix of AUFS metadata names, which are not whiteouts. */
  public static final String WHITEOUT_META_PREFIX = ".wh..wh.";
  /** The OCI entry name that makes its directory opaque. */
  public static final String OPAQUE_MARKER = ".wh..wh..opq";

  /**
   * Prefix of overlay's own extended attributes in the upper format refcache reads and writes
   * (opaque, redirect, origin, ...). They describe the layering, not the file: a union hides them
   * from readers, refuses them to writers and never copies them up.
   */
  public static final String PRIVATE_XATTR_PREFIX = "trusted.overlay.";

  /**
   * refcache's record of where a copied-up entry came from: {@code "<dev>:<ino>"} (ASCII decimal)
   * of the lower file, or of the file that one stands for, set on the upper copy at copy-up so
   * that the union keeps reporting that inode number (kernel overlayfs keeps
   * {@code trusted.overlay.origin} for the same purpose, in a format of its own). Being under
   * {@link #PRIVATE_XATTR_PREFIX} it is hidden, refused and never copied like overlay's own
   * attributes, dropped from tarballs, and the kernel ignores it.
   */
  public static final String ORIGIN_INO_XATTR = PRIVATE_XATTR_PREFIX + "refcache.ino";

  /**
   * Set ({@code y}) on the root directory of an upper in which a copy carries
   * {@link #ORIGIN_INO_XATTR}, before the first such copy is made: a tree reads origins only in
   * layers that have it, so a layer unpacked from a tarball (never one) costs no lookup more.
   */
  public static final String ORIGINS_XATTR = PRIVATE_XATTR_PREFIX + "refcache.origins";

  /**
   * Set ({@code y}) on a directory an unpack made only to hold what a layer has below it (the tar
   * had no entry for the directory itself, as tools that diff trees, umoci's among them, write
   * changes deep down). Such a directory says nothing about the directory's metadata: a union
   * shows the metadata of the same directory in the layers below, as a layer applied onto its
   * lower tree would leave it. It also has mtime {@link #IMPLICIT_MTIME}, so that a lookup reads
   * this attribute only for a directory whose {@code lstat} already makes it a candidate.
   */
  public static final String IMPLICIT_XATTR = PRIVATE_XATTR_PREFIX + "refcache.implicit";

  /** The mtime of a directory marked {@link #IMPLICIT_XATTR}: one nanosecond past the epoch. */
  public static final java.time.Instant IMPLICIT_MTIME = java.time.Instant.ofEpochSecond(0, 1);

  /** Overlay's own xattrs when overlayfs runs with {@code userxattr} (unprivileged mounts). */
  private static final String USER_XATTR_PREFIX = "user.overlay.";

  private static final byte[] OPAQUE_VALUE = {'y'};

  private OverlayFormat() {
  }

  /** Creates a whiteout (character device 0/0, mode 0000) at {@code p}, which must not exist. */
  public static void createWhiteout(Path p) throws IOException {
    Posix.mknod(p, Posix.S_IFCHR, WHITEOUT_RDEV);
  }

  /** Whether {@code st} describes a whiteout. */
  public static boolean isWhiteout(Stat st) {
    return st.isCharDevice() && st.rdev() == WHITEOUT_RDEV;
  }

  /** Makes directory {@code dir} opaque. */
  public static void markOpaque(Path dir) throws IOException {
    Posix.lsetxattr(dir, OPAQUE_XATTR, OPAQUE_VALUE, 0);
  }

  /** Whether directory {@code dir} is opaque ({@value #OPAQUE_XATTR} is {@code y}). */
  public static boolean isOpaque(Path dir) throws IOException {
    Optional<byte[]> value = Posix.lgetxattr(dir, OPAQUE_XATTR);
    return value.isPresent() && Arrays.equals(value.get(), OPAQUE_VALUE);
  }

  /** Marks {@code dir} as a directory made only to hold what is below it ({@link #IMPLICIT_XATTR}). */
  public static void markImplicit(Path dir) throws IOException {
    Posix.lsetxattr(dir, IMPLICIT_XATTR, OPAQUE_VALUE, 0);
  }

  /**
   * Whether the directory {@code dir}, of {@code lstat} {@code st}, was made only to hold what is
   * below it ({@link #IMPLICIT_XATTR}); reads the attribute only for a candidate.
   */
  public static boolean isImplicit(Path dir, Stat st) throws IOException {
    return st.isDirectory() && st.mtime().equals(IMPLICIT_MTIME)
        && Posix.lgetxattr(dir, IMPLICIT_XATTR).isPresent();
  }

  /**
   * Whether {@code name} is one of overlay's own extended attributes in the upper format
   * ({@value #PRIVATE_XATTR_PREFIX}*), which a union hides, refuses and never copies up.
   */
  public static boolean isPrivateXattr(String name) {
    return name.startsWith(PRIVATE_XATTR_PREFIX);
  }

  /**
   * Whether {@code xattr} is overlayfs' own metadata in either of its modes (the trusted
   * namespace, or {@code user.overlay.*} under {@code userxattr}): never copied from or into a
   * tar. Wider than {@link #isPrivateXattr}: inside a union, {@code user.overlay.*} is an
   * ordinary attribute of the file.
   */
  static boolean isOverlayPrivate(String xattr) {
    return isPrivateXattr(xattr) || xattr.startsWith(USER_XATTR_PREFIX);
  }
}
