package org.refcache.core.overlay;

/**
 * Paths inside a union: relative, {@code '/'}-separated, {@code ""} for the root, without empty,
 * {@code "."} or {@code ".."} components. Plain strings rather than {@link java.nio.file.Path}
 * because they name a place in the union, not a file on any disk.
 */
final class TreePath {

  static final String ROOT = "";

  private TreePath() {
  }

  /**
   * Checks that {@code path} is a union path.
   *
   * @return {@code path}
   * @throws IllegalArgumentException if it is absolute, has empty, {@code "."} or {@code ".."}
   *                                  components, or contains NUL
   */
  static String check(String path) {
    if (path == null) {
      throw new IllegalArgumentException("path is null");
    }
    if (path.isEmpty()) {
      return path;
    }
    if (path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("path contains NUL: " + path);
    }
    int start = 0;
    while (true) {
      int slash = path.indexOf('/', start);
      int end = slash < 0 ? path.length() : slash;
      int length = end - start;
      if (length == 0
          || (length == 1 && path.charAt(start) == '.')
          || (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.')) {
        throw new IllegalArgumentException(
            "not a relative path without empty, '.' or '..' components: \"" + path + "\"");
      }
      if (slash < 0) {
        return path;
      }
      start = slash + 1;
    }
  }

  /** The parent of a non-root path ({@code ""} for a top-level name). */
  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? ROOT : path.substring(0, slash);
  }

  /** The last component of a non-root path. */
  static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  static String child(String dir, String name) {
    return dir.isEmpty() ? name : dir + '/' + name;
  }

  /** Whether {@code path} lies strictly below {@code ancestor}. */
  static boolean isStrictlyBelow(String path, String ancestor) {
    if (ancestor.isEmpty()) {
      return !path.isEmpty();
    }
    return path.length() > ancestor.length() && path.startsWith(ancestor)
        && path.charAt(ancestor.length()) == '/';
  }
}
