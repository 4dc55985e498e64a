package org.refcache.fuse;

import org.refcache.posix.FileNames;

/**
 * A place in the mount, typed once: {@code /}, {@code /refs}, a path inside a ref's tree
 * ({@code /refs/<id>/a/b}: the ref and the path inside its tree), or an open file unlinked from
 * a ref's tree. The kernel transport builds it name by name ({@link #child}) and keeps it with
 * its node; libfuse's path strings are split once ({@link #parse}). The view never parses a
 * path again.
 *
 * @param kind     which part of the mount it names
 * @param refId    the ref ID for {@link Kind#REF} and {@link Kind#UNLINKED}, else null
 * @param relative the path inside the ref's tree for {@link Kind#REF} ({@code ""} for its root,
 *                 as {@code org.refcache.core.overlay} wants it), else null
 * @param unlinked which unlinked file of the ref, for {@link Kind#UNLINKED}, else 0
 */
public record MountPath(Kind kind, String refId, String relative, long unlinked) {

  /** What a path names. */
  public enum Kind {
    /** {@code /}: holds {@code refs} only. */
    ROOT,
    /** {@code /refs}: one directory per ref ID. */
    REFS,
    /** {@code /refs/<id>} and below: a ref's tree. */
    REF,
    /**
     * A file of a ref unlinked while open: it has no name any more, and stays reachable until
     * its last open file is released ({@link ViewOperations#unlinkOpen}).
     */
    UNLINKED,
    /** Any other name: it does not exist. */
    NONE
  }

  /** Longest file name in bytes, as on the filesystems the layers live on. */
  public static final int NAME_MAX = 255;

  static final String REFS_NAME = "refs";

  private static final String REFS_PREFIX = "/refs/";
  public static final MountPath ROOT = new MountPath(Kind.ROOT, null, null, 0);
  public static final MountPath REFS = new MountPath(Kind.REFS, null, null, 0);
  public static final MountPath NONE = new MountPath(Kind.NONE, null, null, 0);

  /** {@code /refs/<id>}, the root of ref {@code refId}. */
  public static MountPath refRoot(String refId) {
    return new MountPath(Kind.REF, refId, "", 0);
  }

  /** {@code relative} inside ref {@code refId} ({@code ""}: its root). */
  public static MountPath inRef(String refId, String relative) {
    return new MountPath(Kind.REF, refId, relative, 0);
  }

  /** The unlinked open file number {@code id} of ref {@code refId}. */
  static MountPath unlinked(String refId, long id) {
    return new MountPath(Kind.UNLINKED, refId, null, id);
  }

  /** Splits a libfuse path; never fails (a path outside the layout is {@link Kind#NONE}). */
  public static MountPath parse(String fusePath) {
    if (fusePath.length() == 1) {
      return fusePath.equals("/") ? ROOT : NONE;
    }
    if (!fusePath.startsWith(REFS_PREFIX)) {
      return fusePath.equals("/refs") ? REFS : NONE;
    }
    int idStart = REFS_PREFIX.length();
    int slash = fusePath.indexOf('/', idStart);
    if (slash < 0) {
      return idStart == fusePath.length() ? NONE : refRoot(fusePath.substring(idStart));
    }
    if (slash == idStart || slash == fusePath.length() - 1) {
      return NONE;
    }
    return inRef(fusePath.substring(idStart, slash), fusePath.substring(slash + 1));
  }

  /**
   * The entry {@code name} (one component, no {@code /}) in this directory: {@code refs} in
   * {@code /}, a ref in {@code /refs}, a path in a ref's tree; anything else is {@link #NONE}.
   */
  public MountPath child(String name) {
    return switch (kind) {
      case ROOT -> name.equals(REFS_NAME) ? REFS : NONE;
      case REFS -> refRoot(name);
      case REF -> inRef(refId, relative.isEmpty() ? name : relative + "/" + name);
      case UNLINKED, NONE -> NONE;
    };
  }

  /**
   * The directory that holds it: a ref's root for a path at the top of its tree, {@link #REFS}
   * for a ref's root, {@link #ROOT} for {@code /refs}; null for the root and what has no place.
   */
  MountPath parent() {
    return switch (kind) {
      case REF -> relative.isEmpty() ? REFS
          : inRef(refId, relative.substring(0, Math.max(0, relative.lastIndexOf('/'))));
      case REFS -> ROOT;
      case ROOT, UNLINKED, NONE -> null;
    };
  }

  /** Whether it lies inside a ref's tree, below its root. */
  public boolean insideRef() {
    return kind == Kind.REF && !relative.isEmpty();
  }

  /** Whether it is a ref's root, {@code /refs/<id>}. */
  public boolean isRefRoot() {
    return kind == Kind.REF && relative.isEmpty();
  }

  /**
   * Whether it lies strictly below directory {@code dir} of the same ref (for moving what the
   * kernel knows below a renamed directory).
   */
  boolean isBelow(MountPath dir) {
    if (kind != Kind.REF || dir.kind != Kind.REF || !refId.equals(dir.refId)) {
      return false;
    }
    if (dir.relative.isEmpty()) {
      return !relative.isEmpty();
    }
    return relative.length() > dir.relative.length() + 1
        && relative.charAt(dir.relative.length()) == '/' && relative.startsWith(dir.relative);
  }

  /** This path with its prefix {@code from} (a directory above it) replaced by {@code to}. */
  MountPath movedFrom(MountPath from, MountPath to) {
    return inRef(to.refId, to.relative + relative.substring(from.relative.length()));
  }

  /**
   * Whether its last component (the ref ID for a ref's root) is longer than {@link #NAME_MAX}
   * bytes. The kernel lets FUSE names up to 1024 bytes through, so a lookup or create of a longer
   * name must be refused here ({@code ENAMETOOLONG}) as ext4 would.
   */
  public boolean nameTooLong() {
    if (kind != Kind.REF) {
      return false;
    }
    String whole = relative.isEmpty() ? refId : relative;
    int start = relative.isEmpty() ? 0 : relative.lastIndexOf('/') + 1;
    if (whole.length() - start <= NAME_MAX / 3) {
      return false; // at most 3 bytes per UTF-16 unit in any charset a name comes in (no copy made)
    }
    String name = whole.substring(start);
    // In the charset names are decoded in: the name's own bytes (FileNames).
    return name.length() > NAME_MAX || FileNames.bytes(name).length > NAME_MAX;
  }

  /** The path as libfuse spells it, for messages. */
  @Override
  public String toString() {
    return switch (kind) {
      case ROOT -> "/";
      case REFS -> "/refs";
      case REF -> relative.isEmpty() ? REFS_PREFIX + refId : REFS_PREFIX + refId + "/" + relative;
      case UNLINKED -> REFS_PREFIX + refId + " (unlinked file " + unlinked + ")";
      case NONE -> "(outside the mount's layout)";
    };
  }
}
