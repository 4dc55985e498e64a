package org.refcache.core.overlay;

import java.util.Arrays;
import java.util.Optional;
import org.refcache.posix.Stat;

/**
 * The on-disk conventions of kernel overlayfs that every layer and upper in refcache follows, so
 * that an upper written here is a valid overlayfs {@code upperdir} and any overlayfs upper is a
 * valid layer here.
 *
 * <p>These values duplicate {@code org.refcache.core.layer.OverlayFormat}; both must agree (they
 * are the kernel's, so neither can change).
 */
public final class OverlayConventions {

  /** A whiteout is a character device with this device number (0/0). */
  public static final long WHITEOUT_RDEV = 0L;

  /** The extended attribute that marks a directory opaque: lower directories do not show through. */
  public static final String OPAQUE_XATTR = "trusted.overlay.opaque";

  /** The value of {@link #OPAQUE_XATTR} on an opaque directory. */
  public static final byte[] OPAQUE_VALUE = {'y'};

  /**
   * Overlay's own extended attributes (opaque, redirect, origin, ...). They describe the layering,
   * not the file: hidden from readers of the union, refused to writers, and never copied up.
   */
  public static final String PRIVATE_XATTR_PREFIX = "trusted.overlay.";

  /**
   * refcache's record of where a copied-up non-directory came from: {@code "<dev>:<ino>"} (ASCII
   * decimal) of the lower file, set on the upper copy at copy-up, so the union keeps reporting
   * the lower file's inode number (kernel overlayfs keeps {@code trusted.overlay.origin} for the
   * same purpose, in a format of its own). Being under {@link #PRIVATE_XATTR_PREFIX} it is hidden,
   * refused and never copied like overlay's own attributes, and the kernel ignores it.
   */
  public static final String ORIGIN_INO_XATTR = PRIVATE_XATTR_PREFIX + "refcache.ino";

  private OverlayConventions() {
  }

  /** Whether {@code stat} describes a whiteout (a character device 0/0). */
  public static boolean isWhiteout(Stat stat) {
    return stat.isCharDevice() && stat.rdev() == WHITEOUT_RDEV;
  }

  /** Whether {@code name} is one of overlay's own extended attributes. */
  public static boolean isPrivateXattr(String name) {
    return name.startsWith(PRIVATE_XATTR_PREFIX);
  }

  /** Whether the value read from {@link #OPAQUE_XATTR} marks the directory opaque. */
  public static boolean isOpaqueValue(Optional<byte[]> value) {
    return value.isPresent() && Arrays.equals(value.get(), OPAQUE_VALUE);
  }
}
