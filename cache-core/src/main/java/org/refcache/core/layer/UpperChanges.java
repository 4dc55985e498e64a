package org.refcache.core.layer;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * The change set of an overlay upper directory (see {@link LayerChanges#ofUpper}): a walk of the
 * directory in name order, every entry written, whiteouts and opaque directories turned into the
 * OCI markers. An opaque directory's marker comes right after the directory's own entry, before
 * what it holds; a whiteout that is both a device and a {@code .wh.} name is written once.
 * Overlay's own xattrs are left out, so a layer directory or a copied-up file is read as it is.
 */
final class UpperChanges extends LayerChanges {
  private final Path upper;

  UpperChanges(Path upper) {
    this.upper = upper;
  }

  @Override
  void writeTo(EntryWriter out) throws IOException {
    ReadableTree tree = ReadableTree.directory(upper);
    ReadableTree.Entry root = tree.entry("").orElseThrow(() ->
        new NoSuchFileException(upper.toString()));
    if (!root.stat().isDirectory()) {
      throw new NotDirectoryException(upper.toString());
    }
    writeChildren(tree, "", root, out);
  }

  /** Writes the opaque marker of {@code dir} if it needs one, then its children. */
  private void writeChildren(ReadableTree tree, String dir, ReadableTree.Entry dirEntry,
      EntryWriter out) throws IOException {
    List<String> names = new ArrayList<>(tree.list(dir));
    names.sort(null);
    if (OverlayFormat.isOpaque(dirEntry.real()) || hasOpaqueMarkerFile(tree, dir, names)) {
      out.opaque(dir);
    }
    Set<String> whiteouts = new HashSet<>();
    for (String name : names) {
      String path = EntryWriter.child(dir, name);
      Optional<ReadableTree.Entry> found = tree.entry(path);
      if (found.isEmpty()) {
        continue; // gone since the listing: the upper is being changed, which is the caller's fault
      }
      ReadableTree.Entry entry = found.get();
      Stat st = entry.stat();
      String deleted = null;
      if (OverlayFormat.isWhiteout(st)) {
        deleted = name;
      } else if (name.startsWith(OverlayFormat.WHITEOUT_PREFIX)) {
        if (st.isDirectory()) {
          throw new UnrepresentableEntryException(FileNames.toText(path), "a directory whose"
              + " name begins with " + OverlayFormat.WHITEOUT_PREFIX + " cannot be written to"
              + " a layer: readers take such names for whiteouts");
        }
        if (name.equals(OverlayFormat.OPAQUE_MARKER)) {
          continue; // written above
        }
        if (name.startsWith(OverlayFormat.WHITEOUT_META_PREFIX)) {
          throw new UnrepresentableEntryException(FileNames.toText(path), "a name beginning"
              + " with " + OverlayFormat.WHITEOUT_META_PREFIX + " cannot be written to a layer:"
              + " readers skip it as AUFS metadata");
        }
        deleted = name.substring(OverlayFormat.WHITEOUT_PREFIX.length());
      }
      if (deleted != null) {
        if (whiteouts.add(deleted)) { // a device "x" and a file ".wh.x" are one whiteout
          out.whiteout(dir, deleted);
        }
        continue;
      }
      if (st.isDirectory()) {
        out.directory(path, entry);
        writeChildren(tree, path, entry, out);
      } else {
        out.nonDirectory(path, entry);
      }
    }
  }

  private static boolean hasOpaqueMarkerFile(ReadableTree tree, String dir, List<String> names)
      throws IOException {
    if (!names.contains(OverlayFormat.OPAQUE_MARKER)) {
      return false;
    }
    Optional<ReadableTree.Entry> marker =
        tree.entry(EntryWriter.child(dir, OverlayFormat.OPAQUE_MARKER));
    return marker.isPresent() && !marker.get().stat().isDirectory();
  }
}
