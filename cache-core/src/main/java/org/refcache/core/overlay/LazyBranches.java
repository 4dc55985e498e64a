package org.refcache.core.overlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.refcache.core.layer.OverlayFormat;

/**
 * The directories that contribute to a merged directory, found top-down only as far as someone
 * needs them: the topmost is known when the directory is resolved; the ones below are looked up in
 * the parent directory's branches, in order, when a child name is not found above, when the
 * directory is listed, or when its link count is asked. So a lookup of a path whose answer is in an
 * upper layer never reads (and never unpacks) the layers below it. The lookup below stops, as
 * overlayfs's does, at a whiteout, a non-directory or an opaque directory.
 *
 * <p>A {@code List} for the union's code; {@link #size} finds every branch, iteration and
 * {@link #has} only as many as they reach. Thread-safe: resolutions are shared through the
 * resolution cache; a branch is found under this list's monitor (which may wait for a layer to be
 * unpacked: whoever looks further needs that layer too), then under the parent's, towards the root,
 * never the other way.
 */
final class LazyBranches extends AbstractList<Branch> {

  private final List<Branch> parent;
  private final String name;
  private final List<Branch> found = new ArrayList<>(2);
  /** The index in {@link #parent} of the next directory to look in. */
  private int next;
  /** Whether the last found branch was checked for the opaque marker. */
  private boolean lastChecked;
  private boolean done;

  /**
   * @param first  the topmost directory of {@code name}
   * @param parent the branches of the directory holding it
   * @param next   the index in {@code parent} below the one {@code first} was found in
   */
  LazyBranches(Branch first, List<Branch> parent, int next, String name) {
    this.parent = parent;
    this.name = name;
    this.next = next;
    found.add(first);
  }

  /** How far {@link #reach} got. */
  enum Reach { FOUND, ABSENT, WOULD_UNPACK }

  /**
   * Whether {@code branches} has an element {@code index}, finding the branches down to it (and
   * unpacking the layers that takes) if needed.
   */
  static boolean has(List<Branch> branches, int index) throws IOException {
    if (branches instanceof LazyBranches lazy) {
      return lazy.reach(index, true) == Reach.FOUND;
    }
    return index < branches.size();
  }

  /**
   * Whether every branch of {@code branches} is known, or can be found, without unpacking a layer:
   * finds them if so. A merged directory's link count counts the subdirectories of all its
   * layers; until they are unpacked it is not counted (1, as overlayfs shows a merged directory).
   */
  static boolean knownWithoutUnpacking(List<Branch> branches) throws IOException {
    if (branches instanceof LazyBranches lazy) {
      return lazy.reach(Integer.MAX_VALUE, false) == Reach.ABSENT;
    }
    for (Branch b : branches) {
      if (!b.isReady()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Finds the branches down to {@code index}.
   *
   * @param mayUnpack whether a layer not unpacked yet may be unpacked to look in it
   * @return FOUND when there is a branch {@code index}; ABSENT when there are fewer; WOULD_UNPACK
   *         when finding out needs a layer that {@code mayUnpack} forbids to unpack
   */
  synchronized Reach reach(int index, boolean mayUnpack) throws IOException {
    while (found.size() <= index) {
      if (done) {
        return Reach.ABSENT;
      }
      Reach step = findNext(mayUnpack);
      if (step == Reach.WOULD_UNPACK) {
        return step;
      }
    }
    return Reach.FOUND;
  }

  /** Finds one more branch, or that there is none; caller holds the monitor. */
  private Reach findNext(boolean mayUnpack) throws IOException {
    if (!lastChecked) {
      Branch last = found.get(found.size() - 1);
      if (!mayUnpack && !last.isReady()) {
        return Reach.WOULD_UNPACK;
      }
      if (last.isOpaque()) {
        done = true;
        return Reach.ABSENT;
      }
      lastChecked = true;
    }
    while (true) {
      Reach inParent = parent instanceof LazyBranches lazy ? lazy.reach(next, mayUnpack)
          : next < parent.size() ? Reach.FOUND : Reach.ABSENT;
      if (inParent != Reach.FOUND) {
        if (inParent == Reach.ABSENT) {
          done = true;
        }
        return inParent;
      }
      Branch dir = parent.get(next);
      if (!mayUnpack && !dir.isReady()) {
        return Reach.WOULD_UNPACK;
      }
      Optional<Branch.Entry> entry = dir.child(name);
      next++; // only once looked at: a failed unpack is tried again by the next caller
      if (entry.isEmpty()) {
        continue;
      }
      if (OverlayFormat.isWhiteout(entry.get().stat()) || !entry.get().stat().isDirectory()) {
        done = true;
        return Reach.ABSENT;
      }
      found.add(dir.descend(name, entry.get()));
      lastChecked = false;
      return Reach.FOUND;
    }
  }

  @Override
  public Branch get(int index) {
    try {
      if (reach(index, true) != Reach.FOUND) {
        throw new IndexOutOfBoundsException(index);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look for \"" + name + "\" below " + found.get(0).real(), e);
    }
    synchronized (this) {
      return found.get(index);
    }
  }

  @Override
  public int size() {
    try {
      reach(Integer.MAX_VALUE, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look for \"" + name + "\" below " + found.get(0).real(), e);
    }
    synchronized (this) {
      return found.size();
    }
  }

  @Override
  public Iterator<Branch> iterator() {
    return new Iterator<>() {
      private int index;

      @Override
      public boolean hasNext() {
        try {
          return has(LazyBranches.this, index);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot look for \"" + name + "\" below " + found.get(0).real(), e);
        }
      }

      @Override
      public Branch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return get(index++);
      }
    };
  }
}
