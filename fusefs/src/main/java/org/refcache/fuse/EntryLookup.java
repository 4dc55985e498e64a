package org.refcache.fuse;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Stat;

/**
 * What the view answers for a name: the attributes it shows for a place (the mount's own
 * directories, a ref's root before and after its unpack, a file as its tree says the union shows
 * it, an unlinked open file) and how long the kernel may keep them. Inside a ref it copies the
 * tree's answer ({@code OverlayTree.attributes}: inode numbers, ctimes and link counts are the
 * tree's); only the ref's own directory gets a number of the view's, since the view names it.
 * Names, attributes and listings inside a tree that can never change are valid for
 * {@link FuseOptions#UNCHANGING_TIMEOUT}, the rest for the mount's timeouts; a missing name
 * inside a ref may be remembered as missing (names there appear only through the mount), one in
 * {@code /refs} not (a new ref must show at once).
 */
final class EntryLookup {

  private final RefTreeSource source;
  private final RefTrees trees;
  private final UnlinkedFiles unlinked;
  private final Duration entryTimeout;
  private final Duration attrTimeout;
  private final Instant mountTime = Instant.now();
  /**
   * When the refs under {@code /refs} last changed: its mtime and ctime. The kernel compares a
   * directory's mtime with the one it saw when it cached the listing and lists again if it moved
   * (fs/fuse/readdir.c); {@code /refs}' attributes are asked for at each open, so a listing
   * cached while a ref appeared is not served after the change.
   */
  private final AtomicReference<Instant> refsChanged = new AtomicReference<>(mountTime);
  private final AtomicBoolean rootAnswered = new AtomicBoolean();
  /** Refs whose directory answered as a stand-in (see lookup): it keeps those attributes. */
  private final Set<String> standInRoots = ConcurrentHashMap.newKeySet();
  /** A missing name that must not be remembered: a ref may appear under {@code /refs} at once. */
  private final Entry missingOutsideRefs = Entry.missing(null);
  private final Entry missingInRef;
  private final Entry missingInUnchangingRef = Entry.missing(FuseOptions.UNCHANGING_TIMEOUT);

  /**
   * @param entryTimeout how long names (and missing names inside refs) may be cached
   * @param attrTimeout  how long attributes may be cached
   */
  EntryLookup(RefTreeSource source, RefTrees trees, UnlinkedFiles unlinked,
              Duration entryTimeout, Duration attrTimeout) {
    this.source = source;
    this.trees = trees;
    this.unlinked = unlinked;
    this.entryTimeout = entryTimeout;
    this.attrTimeout = attrTimeout;
    this.missingInRef = Entry.missing(entryTimeout);
  }

  /** A ref appeared, went or changed: {@code /refs}' times move on (never to an equal one). */
  void refsChanged() {
    Instant now = Instant.now();
    refsChanged.getAndUpdate(last -> now.isAfter(last) ? now : last.plusNanos(1));
  }

  /** Whether the root has been looked up: the mount is up and served (the readiness probe). */
  boolean rootAnswered() {
    return rootAnswered.get();
  }

  /**
   * Whether what the kernel caches about {@code at} (its name, attributes, listing) stays true for
   * as long as its ref exists: a path inside a ref whose tree can never change. The ref's own
   * name in {@code /refs} does not count: a ref can go away.
   */
  boolean unchanging(MountPath at) {
    return at.insideRef() && trees.isImmutable(at.refId());
  }

  /** An existing file's attributes, valid for long if they can never change. */
  Entry found(FileAttributes attributes, boolean unchanging) {
    return unchanging
        ? new Entry(attributes, FuseOptions.UNCHANGING_TIMEOUT, FuseOptions.UNCHANGING_TIMEOUT)
        : new Entry(attributes, entryTimeout, attrTimeout);
  }

  private Entry missing(MountPath at) {
    if (!at.insideRef()) {
      return missingOutsideRefs;
    }
    return trees.isImmutable(at.refId()) ? missingInUnchangingRef : missingInRef;
  }

  /**
   * The attributes of {@code at} (into {@code into}) and how long they and the name may be
   * cached; see {@link ViewOperations#lookup}.
   */
  Entry lookup(MountPath at, FileAttributes into) throws IOException {
    switch (at.kind()) {
      case ROOT -> {
        Attributes.syntheticDirectory(into, Attributes.ROOT_INO, 3, mountTime);
        rootAnswered.set(true);
        return found(into, false);
      }
      case REFS -> {
        Attributes.syntheticDirectory(into, Attributes.REFS_INO, 1, refsChanged.get());
        return found(into, false);
      }
      case NONE -> {
        return missingOutsideRefs;
      }
      case UNLINKED -> {
        return unlinkedAttributes(at, into);
      }
      default -> {
        // a ref's tree, below
      }
    }
    if (at.nameTooLong()) {
      throw ErrnoMapper.toException(null, Errno.ENAMETOOLONG, at.toString(), null);
    }
    String id = at.refId();
    boolean refRoot = at.isRefRoot();
    if (refRoot && !standInRoots.contains(id) && !trees.isOpen(id) && source.wouldUnpack(id)) {
      // Opening the ref here would unpack its layers inside the lookup of its name: under
      // libfuse 2.9 (no parallel directory operations) the kernel serializes that with every
      // other lookup and listing of /refs, so one slow unpack would hold up every other ref,
      // and under either transport an `ls -l /refs` would unpack every ref. So its directory
      // answers as a plain one (0755 root, the usual layer root); the first access inside it
      // unpacks, holding up only lookups in that ref.
      standInRoots.add(id);
      // Link count 1: its subdirectories are not known yet (2 would tell find there are none).
      Attributes.syntheticDirectory(into, Attributes.refRootIno(id), 1, mountTime);
      return found(into, false);
    }
    // Lookups of missing names are frequent (include paths, PATH): answered without exceptions.
    Optional<RefTree> ref = trees.acquire(id);
    if (ref.isEmpty()) {
      standInRoots.remove(id);
      return missing(at);
    }
    try (RefTree tree = ref.get()) {
      Optional<Stat> shown = tree.tree().attributes(at.relative());
      if (shown.isEmpty()) {
        return missing(at);
      }
      into.set(shown.get());
      if (refRoot) {
        // The ref's directory in /refs has a number of its own, the same before the unpack.
        into.setIno(Attributes.refRootIno(id));
        if (standInRoots.contains(id)) {
          // Answered as a stand-in before: keep its mode, owner, times and size for the life of
          // the mount, or a walk that began before the unpack (tar) sees its directory change.
          Attributes.keepStandIn(into, mountTime);
        }
      }
      return found(into, at.insideRef() && tree.immutable());
    }
  }

  /** An unlinked open file's attributes, from its descriptor. */
  private Entry unlinkedAttributes(MountPath at, FileAttributes into) throws IOException {
    int fd = unlinked.descriptor(at);
    if (fd < 0) {
      return missingOutsideRefs;
    }
    Attributes.ofDescriptor(fd, into);
    into.setIno(unlinked.ino(at)); // the number the tree showed for it
    if (unlinked.isLower(at)) {
      // Unlinked from the union, still linked in its layer.
      into.setNlink(Math.max(0, into.nlink() - 1));
    }
    return found(into, trees.isImmutable(at.refId()));
  }
}
