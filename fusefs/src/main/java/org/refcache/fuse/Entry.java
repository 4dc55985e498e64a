package org.refcache.fuse;

import java.time.Duration;

/**
 * What the view answers for a name or a file: its attributes and how long the kernel may keep
 * the name ({@code entryValid}) and the attributes ({@code attrValid}); or, for a missing name,
 * how long the kernel may remember that it is missing (a negative entry). The attributes live in
 * the {@link FileAttributes} the caller passed in.
 *
 * @param attributes the attributes, or null for a missing name
 * @param entryValid how long the name (or its absence) may be cached; null: a missing name that
 *                   must not be remembered
 * @param attrValid  how long the attributes may be cached; null for a missing name
 */
public record Entry(FileAttributes attributes, Duration entryValid,
                    Duration attrValid) {

  /** A missing name, remembered by the kernel for {@code entryValid} (null: not at all). */
  public static Entry missing(Duration entryValid) {
    return new Entry(null, entryValid, null);
  }

  /** Whether the name exists. */
  public boolean exists() {
    return attributes != null;
  }
}
