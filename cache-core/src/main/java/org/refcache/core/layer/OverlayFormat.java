package org.refcache.core.layer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * The on-disk convention of an overlayfs upper directory, shared by unpacked layers and the
 * uppers of mutable refs (and so with the overlay engine): a deleted name is a whiteout, a
 * character device with device number 0/0; a directory that hides everything below it carries
 * the xattr {@value #OPAQUE_XATTR}{@code =y}. The OCI tar spellings of the same things are the
 * {@value #WHITEOUT_PREFIX} names.
 */
public final class OverlayFormat {
  /** The xattr that makes a directory opaque; its value is {@code y}. */
  public static final String OPAQUE_XATTR = "trusted.overlay.opaque";
  /** Prefix of an OCI whiteout entry name: {@code .wh.<name>} deletes {@code <name>}. */
  public static final String WHITEOUT_PREFIX = ".wh.";
  /** Prefix of AUFS metadata names, which are not whiteouts. */
  public static final String WHITEOUT_META_PREFIX = ".wh..wh.";
  /** The OCI entry name that makes its directory opaque. */
  public static final String OPAQUE_MARKER = ".wh..wh..opq";

  private static final byte[] OPAQUE_VALUE = {'y'};

  private OverlayFormat() {
  }

  /** Creates a whiteout (character device 0/0, mode 0000) at {@code p}, which must not exist. */
  public static void createWhiteout(Path p) throws IOException {
    Posix.mknod(p, Posix.S_IFCHR, Posix.makedev(0, 0));
  }

  /** Whether {@code st} describes a whiteout. */
  public static boolean isWhiteout(Stat st) {
    return st.isWhiteout();
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

  /** Whether {@code xattr} is overlayfs' own metadata (never copied from or into a tar). */
  static boolean isOverlayPrivate(String xattr) {
    return xattr.startsWith("trusted.overlay.") || xattr.startsWith("user.overlay.");
  }
}
