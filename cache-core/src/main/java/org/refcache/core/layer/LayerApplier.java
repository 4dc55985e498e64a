package org.refcache.core.layer;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
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
import org.refcache.core.fs.FileTrees;
import org.refcache.posix.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.refcache.posix.Printable;

/**
 * Applies tar entries, one at a time as they stream by, to a new, empty directory, producing an
 * overlay upper (see the package documentation for the rules).
 *
 * <p>The directory belongs to this applier alone until it is renamed into place, so the applier
 * keeps the kind of every path it created in memory and decides from that, not from
 * {@code lstat}: whether a parent is a real directory or a symlink, what an entry replaces, what a
 * hard link points at. That is both the safety check (no entry is ever resolved through a
 * symlink) and cheaper than asking the filesystem.
 */
final class LayerApplier {
  private static final Logger LOG = LoggerFactory.getLogger(LayerApplier.class);

  private static final int IMPLICIT_DIR_MODE = 0755;
  private static final int COPY_BUFFER = 128 * 1024;
  private static final long MAX_ID = 0xFFFF_FFFEL;

  /** What is at a path of the tree being built. */
  private enum Kind { DIRECTORY, FILE, SYMLINK, WHITEOUT, SPECIAL }

  /** Access and modification time of a directory, set once all its children exist. */
  private record Times(Instant atime, Instant mtime) {
  }

  private final Path root;
  /** Relative path ({@code ""} for the root) to kind; sorted so a subtree is a key range. */
  private final NavigableMap<String, Kind> tree = new TreeMap<>();
  private final NavigableMap<String, Times> directoryTimes = new TreeMap<>();
  private final byte[] buffer = new byte[COPY_BUFFER];
  private long entries;

  /** Applies into {@code root}, an empty directory this applier now owns. */
  LayerApplier(Path root) throws IOException {
    this.root = root;
    tree.put("", Kind.DIRECTORY);
    Posix.chmod(root, IMPLICIT_DIR_MODE);
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
        applyMetadata(entry, tar, root, "", Kind.DIRECTORY);
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
    Path target = root.resolve(rel);
    Kind existing = tree.get(rel);
    if (isDirectory(entry, name)) {
      if (existing != Kind.DIRECTORY) {
        if (existing != null) {
          remove(rel, existing);
        }
        Posix.mkdir(target, 0700); // its mode comes with its metadata
        tree.put(rel, Kind.DIRECTORY);
        if (existing == Kind.WHITEOUT) {
          // Deleted from the layers below and created again here: hide what they had.
          OverlayFormat.markOpaque(target);
        }
      }
      applyMetadata(entry, tar, target, rel, Kind.DIRECTORY);
      return;
    }
    if (entry.getLinkFlag() == TarConstants.LF_LINK) {
      applyHardLink(entry, tar, path, target, existing);
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
        writeFile(target, tar);
        kind = Kind.FILE;
      }
      case TarConstants.LF_SYMLINK -> {
        Posix.symlink(tar.linkName(entry), target);
        kind = Kind.SYMLINK;
      }
      case TarConstants.LF_CHR -> {
        Posix.mknod(target, Posix.S_IFCHR | perm, device(entry));
        kind = Kind.SPECIAL;
      }
      case TarConstants.LF_BLK -> {
        Posix.mknod(target, Posix.S_IFBLK | perm, device(entry));
        kind = Kind.SPECIAL;
      }
      case TarConstants.LF_FIFO -> {
        Posix.mkfifo(target, perm);
        kind = Kind.SPECIAL;
      }
      default -> throw new LayerFormatException("entry \"" + Printable.name(name)
          + "\": unsupported tar entry type "
          + Printable.text("'" + (char) entry.getLinkFlag() + "'"));
    }
    tree.put(rel, kind);
    applyMetadata(entry, tar, target, rel, kind);
  }

  /**
   * A hard link shares the inode, and so the metadata, of the entry it names, which came earlier
   * in this tar; like GNU tar, the link header's own mode and times are not applied to it.
   */
  private void applyHardLink(TarArchiveEntry entry, LayerTarInputStream tar, EntryPath path,
                             Path target, Kind existing) throws IOException {
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
    Posix.link(root.resolve(linkedRel), target);
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
      OverlayFormat.markOpaque(ensureParents(path));
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
      OverlayFormat.createWhiteout(root.resolve(rel));
      tree.put(rel, Kind.WHITEOUT);
    } else if (existing == Kind.DIRECTORY) {
      OverlayFormat.markOpaque(root.resolve(rel));
    }
  }

  /**
   * Makes sure every parent of {@code path} is a directory created in this layer, creating missing
   * ones (mode 0755, owned by root); returns the immediate parent.
   */
  private Path ensureParents(EntryPath path) throws IOException {
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
      Path dirPath = root.resolve(dir);
      if (kind == Kind.WHITEOUT) {
        remove(dir, kind);
      }
      Posix.mkdir(dirPath, 0700);
      Posix.chmod(dirPath, IMPLICIT_DIR_MODE);
      Posix.lchown(dirPath, 0, 0);
      tree.put(dir, Kind.DIRECTORY);
      if (kind == Kind.WHITEOUT) {
        OverlayFormat.markOpaque(dirPath);
      }
    }
    return rel.length() == 0 ? root : root.resolve(rel.toString());
  }

  private void remove(String rel, Kind kind) throws IOException {
    Path p = root.resolve(rel);
    if (kind == Kind.DIRECTORY) {
      FileTrees.deleteRecursively(p);
      String from = rel + "/";
      String to = rel + "0"; // '0' follows '/': the range holds exactly the paths below rel
      tree.subMap(from, true, to, false).clear();
      directoryTimes.subMap(from, true, to, false).clear();
      directoryTimes.remove(rel);
    } else {
      Posix.delete(p);
    }
    tree.remove(rel);
  }

  private void writeFile(Path target, LayerTarInputStream tar) throws IOException {
    byte[] buf = buffer;
    // Through Posix, not java.nio.file: the name is a byte string (FileNames).
    int fd = Posix.open(target,
        Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0600);
    try {
      int n;
      while ((n = tar.read(buf, 0, buf.length)) >= 0) {
        Posix.writeFully(fd, buf, n, target.toString());
      }
    } finally {
      Posix.close(fd);
    }
  }

  /** Owner, then mode (chown clears setuid), xattrs (chown clears capabilities), times. */
  private void applyMetadata(TarArchiveEntry entry, LayerTarInputStream tar, Path target,
      String rel, Kind kind) throws IOException {
    String name = tar.name(entry);
    Posix.lchown(target, id(name, "uid", entry.getLongUserId()),
        id(name, "gid", entry.getLongGroupId()));
    if (kind != Kind.SYMLINK) {
      Posix.chmod(target, entry.getMode() & 07777);
    }
    for (Map.Entry<String, byte[]> xattr : tar.xattrs(entry).entrySet()) {
      String xattrName = xattr.getKey();
      if (OverlayFormat.isOverlayPrivate(xattrName)) {
        LOG.debug("entry {}: dropping overlay xattr {}", Printable.name(name),
            Printable.text(xattrName));
        continue;
      }
      if (xattrName.startsWith("user.") && kind != Kind.FILE && kind != Kind.DIRECTORY) {
        // Linux allows user.* only on regular files and directories.
        LOG.warn("entry {}: dropping xattr {}, Linux does not allow it on a {}",
            Printable.name(name), Printable.text(xattrName), kind.name().toLowerCase(Locale.ROOT));
        continue;
      }
      Posix.lsetxattr(target, xattrName, xattr.getValue(), 0);
    }
    Instant mtime = instant(entry.getLastModifiedTime());
    Instant atime = entry.getLastAccessTime() != null ? instant(entry.getLastAccessTime()) : mtime;
    if (kind == Kind.DIRECTORY) {
      directoryTimes.put(rel, new Times(atime, mtime));
    } else {
      Posix.utimens(target, atime, mtime, true);
    }
  }

  /**
   * Sets directory times (now that no child will be added), deepest first, and, if
   * {@code sync}, flushes every file and directory to disk.
   */
  void finish(boolean sync) throws IOException {
    List<String> dirs = new ArrayList<>(directoryTimes.keySet());
    dirs.sort(Comparator.comparingInt(LayerApplier::depth).reversed());
    for (String rel : dirs) {
      Times t = directoryTimes.get(rel);
      Posix.utimens(rel.isEmpty() ? root : root.resolve(rel), t.atime(), t.mtime(), true);
    }
    if (sync) {
      // One syncfs flushes every new file and directory; an fsync per entry costs a journal commit each.
      Posix.syncfs(root);
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
