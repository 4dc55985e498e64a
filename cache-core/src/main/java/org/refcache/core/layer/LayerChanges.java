package org.refcache.core.layer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A change set that {@link LayerWriter} turns into a layer tar: the entries, whiteouts and opaque
 * markers that, applied on top of a lower tree, give an upper one. Computed while the tar is
 * written, never copied or held in memory beyond one directory's names.
 *
 * <p>Two sources:
 * <ul>
 *   <li>{@link #ofUpper}: a directory in overlay-upper form ({@code uppers/<id>},
 *       {@code layers/<diffID>}), which <em>is</em> a change set: every entry is an add or a
 *       change, a whiteout deletes, an opaque directory hides what is below it;</li>
 *   <li>{@link #diff}: two trees compared path by path (content, type, mode, owner, mtime, xattrs,
 *       link target, device number), giving adds, changes and whiteouts for deletions; and
 *       {@link #ofTree} (a whole tree against nothing).</li>
 * </ul>
 *
 * <p>Entries come in a fixed order (each directory's names sorted by their bytes, a directory
 * before what it holds), so the same change set gives the same tar, byte for byte. The root
 * directory's own metadata is not written, as BuildKit's and containerd's differs do not.
 */
public abstract sealed class LayerChanges permits UpperChanges, TreeDiff {

  LayerChanges() {
  }

  /**
   * The changes an overlay upper directory holds. A whiteout is a character device 0/0, or a
   * non-directory named {@code .wh.<name>}; an opaque directory has
   * {@code trusted.overlay.opaque=y}, or holds a non-directory named {@code .wh..wh..opq}.
   *
   * @param upper the directory (an ASCII path), which must not change while the layer is written
   */
  public static LayerChanges ofUpper(Path upper) {
    return new UpperChanges(Objects.requireNonNull(upper, "upper"));
  }

  /**
   * The changes that turn {@code lower} into {@code upper}. Neither is copied; non-directories
   * the two share (same device and inode) are not read.
   */
  public static LayerChanges diff(ReadableTree lower, ReadableTree upper) {
    return new TreeDiff(Objects.requireNonNull(lower, "lower"),
        Objects.requireNonNull(upper, "upper"));
  }

  /** Everything in {@code tree}, as a base layer: {@code diff(EMPTY, tree)}. */
  public static LayerChanges ofTree(ReadableTree tree) {
    return diff(ReadableTree.EMPTY, tree);
  }

  /** Writes the changes as tar entries (not the tar's end). */
  abstract void writeTo(EntryWriter out) throws IOException;
}
