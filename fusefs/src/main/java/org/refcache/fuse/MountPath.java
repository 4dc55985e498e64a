package org.refcache.fuse;

import org.refcache.posix.FileNames;

/**
 * A path as libfuse gives it ({@code "/"}, {@code "/refs"}, {@code "/refs/<id>/a/b"}) split into
 * what answers for it. Parsing is a prefix test and two {@code indexOf}s.
 *
 * @param kind     which part of the mount the path names
 * @param refId    the ref ID for {@link Kind#REF}, else null
 * @param relative the path inside the ref's tree for {@link Kind#REF} ({@code ""} for its root,
 *                 as {@code org.refcache.core.overlay} wants it), else null
 */
record MountPath(Kind kind, String refId, String relative) {

  /** What a path names. */
  enum Kind {
    /** {@code /}: holds {@code refs} only. */
    ROOT,
    /** {@code /refs}: one directory per ref ID. */
    REFS,
    /** {@code /refs/<id>} and below: a ref's tree. */
    REF,
    /** Any other name: it does not exist. */
    NONE
  }

  /** Longest file name in bytes, as on the filesystems the layers live on. */
  static final int NAME_MAX = 255;

  static final String REFS_NAME = "refs";
  static final String REFS_PATH = "/refs";

  private static final String REFS_PREFIX = "/refs/";
  private static final MountPath ROOT = new MountPath(Kind.ROOT, null, null);
  private static final MountPath REFS = new MountPath(Kind.REFS, null, null);
  private static final MountPath NONE = new MountPath(Kind.NONE, null, null);

  /** Splits a libfuse path; never fails (a path outside the layout is {@link Kind#NONE}). */
  static MountPath parse(String fusePath) {
    if (fusePath.length() == 1) {
      return fusePath.equals("/") ? ROOT : NONE;
    }
    if (!fusePath.startsWith(REFS_PREFIX)) {
      return fusePath.equals("/refs") ? REFS : NONE;
    }
    int idStart = REFS_PREFIX.length();
    int slash = fusePath.indexOf('/', idStart);
    if (slash < 0) {
      return idStart == fusePath.length()
          ? NONE
          : new MountPath(Kind.REF, fusePath.substring(idStart), "");
    }
    if (slash == idStart || slash == fusePath.length() - 1) {
      return NONE;
    }
    return new MountPath(Kind.REF, fusePath.substring(idStart, slash),
        fusePath.substring(slash + 1));
  }

  /** The ID of the ref {@code fusePath} lies in ({@code /refs/<id>} or below), or null. */
  static String refIdOf(String fusePath) {
    MountPath at = parse(fusePath);
    return at.kind() == Kind.REF ? at.refId() : null;
  }

  /** Whether {@code fusePath} lies inside a ref's tree, below its root. */
  static boolean insideRef(String fusePath) {
    MountPath at = parse(fusePath);
    return at.kind() == Kind.REF && !at.relative().isEmpty();
  }

  /** {@code /refs/<id>}, the root of ref {@code refId}. */
  static String refRoot(String refId) {
    return REFS_PREFIX + refId;
  }

  /**
   * Whether the last component is longer than {@link #NAME_MAX} bytes. The kernel lets FUSE names
   * up to 1024 bytes through, so a lookup or create of a longer name must be refused here
   * ({@code ENAMETOOLONG}) as ext4 would.
   */
  static boolean nameTooLong(String fusePath) {
    int start = fusePath.lastIndexOf('/') + 1;
    int chars = fusePath.length() - start;
    if (chars <= NAME_MAX / 3) {
      return false; // at most 3 bytes per UTF-16 unit in any charset a path comes in
    }
    // In the charset jnr-fuse decoded the path in: the name's own bytes (FileNames).
    return chars > NAME_MAX
        || FileNames.bytes(fusePath.substring(start)).length > NAME_MAX;
  }
}
