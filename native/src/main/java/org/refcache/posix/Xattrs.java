package org.refcache.posix;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Extended attributes of a file itself, never of a symlink's target ({@code l*xattr(2)}): the
 * overlay format's markers (opaque directories, redirects, origins) and the attributes a file
 * carries through a layer. Failures throw what {@link ErrnoMapper} maps the errno to; a missing
 * attribute is an empty {@link Optional}.
 */
public final class Xattrs {

  /** {@link #lsetxattr}: fail with EEXIST if the attribute exists. */
  public static final int XATTR_CREATE = 1;
  /** {@link #lsetxattr}: fail with ENODATA if the attribute does not exist. */
  public static final int XATTR_REPLACE = 2;

  /** First buffer for xattr values and lists; most (capabilities, overlay markers) are tiny. */
  private static final int XATTR_FIRST_TRY = 256;

  private Xattrs() {
  }

  /**
   * The value of extended attribute {@code name} of {@code p} itself (not a symlink's target),
   * or empty when {@code p} has no such attribute.
   */
  public static Optional<byte[]> lgetxattr(Path p, String name) throws IOException {
    String original = p.toString();
    try (ShortPath at = ShortPath.of(original)) {
      return lgetxattr(original, at.name(), name);
    }
  }

  private static Optional<byte[]> lgetxattr(String original, String path, String name)
      throws IOException {
    byte[] value = new byte[XATTR_FIRST_TRY];
    while (true) {
      long n = Library.LIBC.lgetxattr(path, name, value, value.length);
      if (n >= 0) {
        return Optional.of(n == value.length ? value : Arrays.copyOf(value, (int) n));
      }
      int errno = Posix.errno();
      if (errno == Errno.ENODATA) {
        return Optional.empty();
      }
      if (errno != Errno.ERANGE) {
        throw ErrnoMapper.toException("lgetxattr(" + name + ")", errno, original, null);
      }
      // Too small: ask for the size, then try again (the value may change in between).
      long size = Library.LIBC.lgetxattr(path, name, null, 0);
      if (size < 0) {
        int sizeErrno = Posix.errno();
        if (sizeErrno == Errno.ENODATA) {
          return Optional.empty();
        }
        throw ErrnoMapper.toException("lgetxattr(" + name + ")", sizeErrno, original, null);
      }
      value = new byte[(int) size];
    }
  }

  /**
   * Sets extended attribute {@code name} of {@code p} itself.
   *
   * @param flags 0, {@link #XATTR_CREATE} or {@link #XATTR_REPLACE}
   */
  public static void lsetxattr(Path p, String name, byte[] value, int flags) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      Posix.check(Library.LIBC.lsetxattr(at.name(), name, value, value.length, flags),
          "lsetxattr(" + name + ")", path);
    }
  }

  /** Names of the extended attributes of {@code p} itself that the caller may see. */
  public static List<String> llistxattr(Path p) throws IOException {
    String original = p.toString();
    try (ShortPath at = ShortPath.of(original)) {
      return llistxattr(original, at.name());
    }
  }

  private static List<String> llistxattr(String original, String path) throws IOException {
    byte[] list = new byte[XATTR_FIRST_TRY];
    while (true) {
      long n = Library.LIBC.llistxattr(path, list, list.length);
      if (n >= 0) {
        return splitNames(list, (int) n);
      }
      int errno = Posix.errno();
      if (errno != Errno.ERANGE) {
        throw ErrnoMapper.toException("llistxattr", errno, original, null);
      }
      long size = Library.LIBC.llistxattr(path, null, 0);
      if (size < 0) {
        throw ErrnoMapper.toException("llistxattr", Posix.errno(), original, null);
      }
      list = new byte[(int) size];
    }
  }

  /** The list is NUL-terminated names back to back. */
  private static List<String> splitNames(byte[] list, int length) {
    // jnr-ffi encodes String arguments in the default charset, so names decode in it too.
    Charset charset = Charset.defaultCharset();
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (list[i] == 0) {
        if (i > start) {
          names.add(new String(list, start, i - start, charset));
        }
        start = i + 1;
      }
    }
    return names;
  }

  /** Removes extended attribute {@code name}; a missing one fails with ENODATA. */
  public static void lremovexattr(Path p, String name) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      Posix.check(Library.LIBC.lremovexattr(at.name(), name), "lremovexattr(" + name + ")", path);
    }
  }
}
