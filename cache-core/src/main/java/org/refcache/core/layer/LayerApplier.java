package org.refcache.core.layer;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.refcache.posix.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.refcache.posix.Printable;

/**
 * Applies tar entries, one at a time as they stream by, to a new, empty directory, producing an
 * overlay upper (see the package documentation for the rules), or to nothing, to check a layer.
 *
 * <p>The directory belongs to this applier alone until it is renamed into place, so the applier
 * keeps the kind of every path it created in memory and decides from that, not from
 * {@code lstat}: whether a parent is a real directory or a symlink, what an entry replaces, what a
 * hard link points at. That is both the safety check (no entry is ever resolved through a
 * symlink) and cheaper than asking the filesystem; and it is why {@link #checking()} refuses
 * exactly the layers an unpack would refuse, writing nothing ({@link LayerOutput#NONE}).
 */
final class LayerApplier {
  private static final Logger LOG = LoggerFactory.getLogger(LayerApplier.class);

  private static final int IMPLICIT_DIR_MODE = 0755;
  private static final long MAX_ID = 0xFFFF_FFFEL;
  /** Linux's limits on an extended attribute (XATTR_NAME_MAX, XATTR_SIZE_MAX). */
  private static final int XATTR_NAME_MAX = 255;
  private static final int XATTR_SIZE_MAX = 65536;
  /** Linux's PATH_MAX, which bounds a symlink's target (its NUL included). */
  private static final int PATH_MAX = 4096;

  /** What is at a path of the tree being built. */
  private enum Kind { DIRECTORY, FILE, SYMLINK, WHITEOUT, SPECIAL }

  /** Access and modification time of a directory, set once all its children exist. */
  private record Times(Instant atime, Instant mtime) {
  }

  private final LayerOutput out;
  /** Relative path ({@code ""} for the root) to kind; sorted so a subtree is a key range. */
  private final NavigableMap<String, Kind> tree = new TreeMap<>();
  private final NavigableMap<String, Times> directoryTimes = new TreeMap<>();
  /** Directories made only to hold entries below them, which no entry of their own has come for. */
  private final java.util.Set<String> implicitDirectories = new java.util.HashSet<>();
  private long entries;

  /** Applies into {@code root}, an empty directory this applier now owns. */
  LayerApplier(java.nio.file.Path root) throws IOException {
    this(new LayerDirectory(root));
  }

  /** Applies through {@code out}, whose root is an empty directory this applier now owns. */
  LayerApplier(LayerOutput out) throws IOException {
    this.out = out;
    tree.put("", Kind.DIRECTORY);
    out.chmod("", IMPLICIT_DIR_MODE);
  }

  /** An applier that writes nothing: it refuses what an unpack would refuse, and that is all. */
  static LayerApplier checking() throws IOException {
    return new LayerApplier(LayerOutput.NONE);
  }

  /** Entries applied so far. */
  long entries() {
    return entries;
  }

  /** Applies {@code entry}, reading a regular file's content from {@code tar}. */
  void apply(TarArchiveEntry entry, LayerTarInputStream tar) throws IOException {
    String name = tar.name(entry);
    EntryPath path = EntryPath.parse(name, name, "name");
    entries++;
    try {
      if (path.base().startsWith(OverlayFormat.WHITEOUT_PREFIX)) {
        applyWhiteout(path);
      } else if (path.isRoot()) {
        if (!isDirectory(entry, name)) {
          throw new UnsafeLayerEntryException(name, "it would replace the root of the layer");
        }
        applyMetadata(entry, tar, "", Kind.DIRECTORY);
      } else {
        applyNode(entry, tar, path);
      }
    } catch (InvalidPathException e) {
      throw new LayerFormatException("entry \"" + Printable.name(name) + "\": " + e.getMessage(),
          e);
    }
  }

  private void applyNode(TarArchiveEntry entry, LayerTarInputStream tar, EntryPath path)
      throws IOException {
    String name = path.raw();
    String rel = path.rel();
    ensureParents(path);
    Kind existing = tree.get(rel);
    if (isDirectory(entry, name)) {
      if (existing != Kind.DIRECTORY) {
        if (existing != null) {
          remove(rel, existing);
        }
        out.mkdir(rel); // its mode comes with its metadata
        tree.put(rel, Kind.DIRECTORY);
        if (existing == Kind.WHITEOUT) {
          // Deleted from the layers below and created again here: hide what they had.
          out.markOpaque(rel);
        }
      }
      implicitDirectories.remove(rel);
      applyMetadata(entry, tar, rel, Kind.DIRECTORY);
      return;
    }
    if (entry.getLinkFlag() == TarConstants.LF_LINK) {
      applyHardLink(entry, tar, path, existing);
      return;
    }
    if (existing != null) {
      remove(rel, existing);
    }
    int perm = entry.getMode() & 07777;
    Kind kind;
    switch (entry.getLinkFlag()) {
      case TarConstants.LF_NORMAL, TarConstants.LF_OLDNORM, TarConstants.LF_CONTIG,
          TarConstants.LF_GNUTYPE_SPARSE -> {
        out.writeFile(rel, tar);
        kind = Kind.FILE;
      }
      case TarConstants.LF_SYMLINK -> {
        out.symlink(rel, symlinkTarget(name, tar.linkName(entry)));
        kind = Kind.SYMLINK;
      }
      case TarConstants.LF_CHR -> {
        out.mknod(rel, Posix.S_IFCHR | perm, device(entry));
        kind = Kind.SPECIAL;
      }
      case TarConstants.LF_BLK -> {
        out.mknod(rel, Posix.S_IFBLK | perm, device(entry));
        kind = Kind.SPECIAL;
      }
      case TarConstants.LF_FIFO -> {
        out.mkfifo(rel, perm);
        kind = Kind.SPECIAL;
      }
      default -> throw new LayerFormatException("entry \"" + Printable.name(name)
          + "\": unsupported tar entry type "
          + Printable.text("'" + (char) entry.getLinkFlag() + "'"));
    }
    tree.put(rel, kind);
    applyMetadata(entry, tar, rel, kind);
  }

  /**
   * A hard link shares the inode, and so the metadata, of the entry it names, which came earlier
   * in this tar; like GNU tar, the link header's own mode and times are not applied to it.
   */
  private void applyHardLink(TarArchiveEntry entry, LayerTarInputStream tar, EntryPath path,
                             Kind existing) throws IOException {
    String name = path.raw();
    EntryPath linked = EntryPath.parse(tar.linkName(entry), name, "hard link target");
    if (linked.isRoot()) {
      throw new LayerFormatException("entry \"" + Printable.name(name)
          + "\": hard link to the layer root");
    }
    for (int i = 1; i < linked.parts().size(); i++) {
      String dir = linked.prefix(i);
      Kind kind = tree.get(dir);
      if (kind == Kind.SYMLINK) {
        throw new UnsafeLayerEntryException(name, "hard link target \""
            + Printable.name(linked.raw()) + "\" goes through the symlink \""
            + Printable.name(dir) + "\"");
      }
      if (kind != Kind.DIRECTORY) {
        throw new LayerFormatException("entry \"" + Printable.name(name) + "\": hard link target \""
            + Printable.name(linked.raw()) + "\" is not in the layer");
      }
    }
    String linkedRel = linked.rel();
    Kind linkedKind = tree.get(linkedRel);
    if (linkedKind == null || linkedKind == Kind.WHITEOUT) {
      throw new LayerFormatException("entry \"" + Printable.name(name) + "\": hard link target \""
          + Printable.name(linked.raw()) + "\" is not in the layer");
    }
    if (linkedKind == Kind.DIRECTORY) {
      throw new LayerFormatException("entry \"" + Printable.name(name)
          + "\": hard link to the directory \"" + Printable.name(linked.raw()) + "\"");
    }
    String rel = path.rel();
    if (linkedRel.equals(rel)) {
      return; // A link to itself: the file is already there.
    }
    if (existing == Kind.DIRECTORY && linkedRel.startsWith(rel + "/")) {
      throw new LayerFormatException("entry \"" + Printable.name(name) + "\": hard link to \""
          + Printable.name(linked.raw()) + "\", inside the directory it replaces");
    }
    if (existing != null) {
      remove(rel, existing);
    }
    out.link(linkedRel, rel);
    tree.put(rel, linkedKind);
  }

  /**
   * {@code .wh..wh..opq} makes its directory opaque; {@code .wh.<name>} becomes a whiteout at
   * {@code <name>}, unless this layer has its own {@code <name>}: the OCI spec says a whiteout
   * only hides what the layers below have, so an entry of this layer stays (a directory of this
   * layer becomes opaque, hiding the lower one).
   */
  private void applyWhiteout(EntryPath path) throws IOException {
    String name = path.raw();
    String base = path.base();
    if (base.equals(OverlayFormat.OPAQUE_MARKER)) {
      out.markOpaque(ensureParents(path));
      return;
    }
    if (base.startsWith(OverlayFormat.WHITEOUT_META_PREFIX)) {
      LOG.debug("skipping AUFS metadata entry {}", Printable.name(name));
      return;
    }
    String hidden = base.substring(OverlayFormat.WHITEOUT_PREFIX.length());
    if (hidden.isEmpty()) {
      throw new LayerFormatException("entry \"" + Printable.name(name)
          + "\": a whiteout that names nothing");
    }
    if (hidden.equals(".") || hidden.equals("..")) {
      throw new UnsafeLayerEntryException(name, "whiteout of \"" + Printable.name(hidden) + "\"");
    }
    ensureParents(path);
    EntryPath hiddenPath = path.sibling(hidden);
    String rel = hiddenPath.rel();
    Kind existing = tree.get(rel);
    if (existing == null) {
      out.createWhiteout(rel);
      tree.put(rel, Kind.WHITEOUT);
    } else if (existing == Kind.DIRECTORY) {
      out.markOpaque(rel);
    }
  }

  /**
   * Makes sure every parent of {@code path} is a directory created in this layer, creating missing
   * ones (mode 0755, owned by root); returns the immediate parent's relative path.
   */
  private String ensureParents(EntryPath path) throws IOException {
    List<String> parts = path.parts();
    StringBuilder rel = new StringBuilder();
    for (int i = 0; i < parts.size() - 1; i++) {
      if (i > 0) {
        rel.append('/');
      }
      rel.append(parts.get(i));
      String dir = rel.toString();
      Kind kind = tree.get(dir);
      if (kind == Kind.DIRECTORY) {
        continue;
      }
      if (kind == Kind.SYMLINK) {
        throw new UnsafeLayerEntryException(path.raw(), "its parent \"" + Printable.name(dir)
            + "\" is a symlink");
      }
      if (kind == Kind.FILE || kind == Kind.SPECIAL) {
        throw new LayerFormatException("entry \"" + Printable.name(path.raw())
            + "\": its parent \"" + Printable.name(dir) + "\" is not a directory");
      }
      if (kind == Kind.WHITEOUT) {
        remove(dir, kind);
      }
      out.mkdir(dir);
      out.chmod(dir, IMPLICIT_DIR_MODE);
      out.lchown(dir, 0, 0);
      tree.put(dir, Kind.DIRECTORY);
      if (kind == Kind.WHITEOUT) {
        out.markOpaque(dir);
      } else {
        // Its metadata is the lower layers' (OverlayFormat.IMPLICIT_XATTR), unless an entry comes for it.
        implicitDirectories.add(dir);
        directoryTimes.put(dir, new Times(OverlayFormat.IMPLICIT_MTIME, OverlayFormat.IMPLICIT_MTIME));
      }
    }
    return rel.toString();
  }

  private void remove(String rel, Kind kind) throws IOException {
    out.delete(rel, kind == Kind.DIRECTORY);
    if (kind == Kind.DIRECTORY) {
      String from = rel + "/";
      String to = rel + "0"; // '0' follows '/': the range holds exactly the paths below rel
      tree.subMap(from, true, to, false).clear();
      directoryTimes.subMap(from, true, to, false).clear();
      directoryTimes.remove(rel);
      implicitDirectories.removeIf(d -> d.equals(rel) || d.startsWith(from));
    }
    tree.remove(rel);
  }

  /** Owner, then mode (chown clears setuid), xattrs (chown clears capabilities), times. */
  private void applyMetadata(TarArchiveEntry entry, LayerTarInputStream tar, String rel,
      Kind kind) throws IOException {
    String name = tar.name(entry);
    out.lchown(rel, id(name, "uid", entry.getLongUserId()),
        id(name, "gid", entry.getLongGroupId()));
    if (kind != Kind.SYMLINK) {
      out.chmod(rel, entry.getMode() & 07777);
    }
    for (Map.Entry<String, byte[]> xattr : tar.xattrs(entry).entrySet()) {
      String xattrName = xattr.getKey();
      if (OverlayFormat.isOverlayPrivate(xattrName)) {
        LOG.debug("entry {}: dropping overlay xattr {}", Printable.name(name),
            Printable.text(xattrName));
        continue;
      }
      if (!isLinuxXattr(xattrName)) {
        // As containerd does with what the filesystem does not support: dropped, not fatal.
        LOG.warn("entry {}: dropping xattr {}, not a name Linux has", name, xattrName);
        continue;
      }
      if (xattrName.length() > XATTR_NAME_MAX || xattrName.indexOf('\0') >= 0
          || xattr.getValue().length > XATTR_SIZE_MAX) {
        throw new LayerFormatException("entry \"" + name + "\": xattr " + xattrName + " ("
            + xattrName.length() + " bytes of name, " + xattr.getValue().length
            + " of value) is larger than Linux allows (" + XATTR_NAME_MAX + ", "
            + XATTR_SIZE_MAX + ")");
      }
      if (xattrName.startsWith("user.") && kind != Kind.FILE && kind != Kind.DIRECTORY) {
        // Linux allows user.* only on regular files and directories.
        LOG.warn("entry {}: dropping xattr {}, Linux does not allow it on a {}",
            Printable.name(name), Printable.text(xattrName), kind.name().toLowerCase(Locale.ROOT));
        continue;
      }
      out.setXattr(rel, xattrName, xattr.getValue());
    }
    Instant mtime = instant(entry.getLastModifiedTime());
    Instant atime = entry.getLastAccessTime() != null ? instant(entry.getLastAccessTime()) : mtime;
    if (kind == Kind.DIRECTORY) {
      directoryTimes.put(rel, new Times(atime, mtime));
    } else {
      out.setTimes(rel, atime, mtime);
    }
  }

  /**
   * Whether Linux has the namespace of xattr {@code name}: {@code user.}, {@code trusted.},
   * {@code security.}, and of {@code system.} only the POSIX ACLs. Any other name fails with
   * EOPNOTSUPP on every filesystem.
   */
  private static boolean isLinuxXattr(String name) {
    return name.startsWith("user.") || name.startsWith("trusted.")
        || name.startsWith("security.") || name.equals("system.posix_acl_access")
        || name.equals("system.posix_acl_default");
  }

  /**
   * Sets directory times (now that no child will be added), deepest first, and, if
   * {@code sync}, flushes every file and directory to disk.
   */
  void finish(boolean sync) throws IOException {
    for (String rel : implicitDirectories) {
      out.setXattr(rel, OverlayFormat.IMPLICIT_XATTR, new byte[] {'y'});
    }
    List<String> dirs = new ArrayList<>(directoryTimes.keySet());
    dirs.sort(Comparator.comparingInt(LayerApplier::depth).reversed());
    for (String rel : dirs) {
      Times t = directoryTimes.get(rel);
      out.setTimes(rel, t.atime(), t.mtime());
    }
    if (sync) {
      out.sync();
    }
  }

  private static int depth(String rel) {
    if (rel.isEmpty()) {
      return 0;
    }
    int depth = 1;
    for (int i = 0; i < rel.length(); i++) {
      if (rel.charAt(i) == '/') {
        depth++;
      }
    }
    return depth;
  }

  /**
   * A directory is a {@code '5'} entry or, in old tars, a regular-file entry whose name ends with
   * {@code /} (commons-compress would say so of any entry type with such a name).
   */
  private static boolean isDirectory(TarArchiveEntry entry, String name) {
    byte flag = entry.getLinkFlag();
    return flag == TarConstants.LF_DIR
        || ((flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM)
            && name.endsWith("/"));
  }

  /**
   * A symlink's target as given (absolute or dangling is fine), if symlink(2) can store it: not
   * empty, no NUL, shorter than PATH_MAX.
   */
  private static String symlinkTarget(String name, String target) throws LayerFormatException {
    if (target.isEmpty() || target.indexOf('\0') >= 0 || target.length() >= PATH_MAX) {
      throw new LayerFormatException("entry \"" + name + "\": a symlink target "
          + (target.isEmpty() ? "cannot be empty" : target.indexOf('\0') >= 0
              ? "cannot have a NUL byte" : "of " + target.length()
                  + " bytes is longer than Linux allows (" + (PATH_MAX - 1) + ")"));
    }
    return target;
  }

  private static long device(TarArchiveEntry entry) {
    return Posix.makedev(entry.getDevMajor(), entry.getDevMinor());
  }

  private static int id(String entryName, String what, long id) throws LayerFormatException {
    if (id < 0 || id > MAX_ID) {
      throw new LayerFormatException("entry \"" + entryName + "\": " + what + " " + id
          + " is out of range");
    }
    return (int) id;
  }

  private static Instant instant(FileTime time) {
    return time == null ? null : time.toInstant();
  }
}
