package org.refcache.core.layer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.refcache.posix.Printable;

/**
 * A tar entry name made safe to apply: relative, split into components, with no {@code ..} and no
 * empty or {@code .} components, each one a name Linux can hold (no NUL, at most
 * {@value #NAME_MAX} bytes). The root of the layer is the path with no components.
 *
 * @param raw   the name as the tar spells it (for messages)
 * @param parts the components
 * @param rel   the components joined with {@code /} ({@code ""} for the root)
 */
record EntryPath(String raw, List<String> parts, String rel) {
  /** The longest file name Linux filesystems hold, in bytes (names here are byte strings). */
  static final int NAME_MAX = 255;

  /**
   * Checks and splits {@code name}, refusing absolute names (but {@code /}, the root) and
   * {@code ..} components.
   *
   * @param entryName the entry that {@code name} belongs to, for the message (a hard link's target
   *                  is checked on behalf of the link entry)
   * @param what      what {@code name} is, for the message ("name", "hard link target")
   */
  static EntryPath parse(String name, String entryName, String what)
      throws UnsafeLayerEntryException, LayerFormatException {
    if (name.startsWith("/") && !namesTheRoot(name)) {
      throw new UnsafeLayerEntryException(entryName, what + " \"" + Printable.name(name)
          + "\" is absolute");
    }
    if (name.indexOf('\0') >= 0) {
      throw new LayerFormatException("entry \"" + entryName + "\": " + what
          + " has a NUL byte");
    }
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new UnsafeLayerEntryException(entryName, what + " \"" + Printable.name(name)
            + "\" has a \"..\" component");
      }
      if (part.length() > NAME_MAX) {
        throw new LayerFormatException("entry \"" + entryName + "\": " + what
            + " has a component of " + part.length() + " bytes, longer than Linux allows ("
            + NAME_MAX + ")");
      }
      parts.add(part);
    }
    return new EntryPath(name, List.copyOf(parts), String.join("/", parts));
  }

  /**
   * Whether {@code name} has no component but {@code .}: {@code /} is the root, as umoci writes
   * the root entry of a layer it inserts at {@code /}, and can reach nothing outside the layer.
   */
  private static boolean namesTheRoot(String name) {
    for (String part : name.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        return false;
      }
    }
    return true;
  }

  boolean isRoot() {
    return parts.isEmpty();
  }

  /** The last component ({@code ""} for the root). */
  String base() {
    return parts.isEmpty() ? "" : parts.get(parts.size() - 1);
  }

  /** The relative path of the first {@code n} components. */
  String prefix(int n) {
    return String.join("/", parts.subList(0, n));
  }

  /** A sibling of this path named {@code name}. */
  EntryPath sibling(String name) {
    List<String> p = new ArrayList<>(parts.subList(0, parts.size() - 1));
    p.add(name);
    return new EntryPath(raw, List.copyOf(p), String.join("/", p));
  }

  /**
   * Go's {@code path.Clean}, which BuildKit applies to the names it lists: the shortest
   * lexically equivalent path; {@code ""} becomes {@code "."}; a leading {@code /} stays, and
   * {@code ..} at the start of a relative path stays.
   */
  static String clean(String path) {
    if (path.isEmpty()) {
      return ".";
    }
    boolean rooted = path.charAt(0) == '/';
    Deque<String> out = new ArrayDeque<>();
    int leadingDotDots = 0;
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!out.isEmpty()) {
          out.removeLast();
        } else if (!rooted) {
          leadingDotDots++;
        }
        continue;
      }
      out.addLast(part);
    }
    StringBuilder sb = new StringBuilder();
    if (rooted) {
      sb.append('/');
    }
    for (int i = 0; i < leadingDotDots; i++) {
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '/') {
        sb.append('/');
      }
      sb.append("..");
    }
    for (String part : out) {
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '/') {
        sb.append('/');
      }
      sb.append(part);
    }
    return sb.length() == 0 ? "." : sb.toString();
  }
}
