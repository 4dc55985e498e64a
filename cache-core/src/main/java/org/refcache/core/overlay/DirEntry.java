package org.refcache.core.overlay;

import java.nio.file.Path;
import org.refcache.posix.Stat;

/**
 * One name in a merged directory listing.
 *
 * @param name the entry's name (no {@code '/'})
 * @param type the file type bits of the topmost entry of that name ({@code Posix.S_IF*})
 * @param real the topmost entry of that name, the one {@link OverlayTree#resolve} answers with
 * @param ino  the inode number the union reports for the entry ({@link Node#ino()}), as
 *             {@code d_ino} (saves the FUSE view a lookup per entry)
 * @param shown what {@link OverlayTree#attributes} shows for the entry, where the listing read it
 *              already and it can never change (a non-directory of a read-only tree); else null.
 *              A walk that lists and stats ({@code READDIRPLUS}) then needs no lookup per entry.
 */
public record DirEntry(String name, int type, Path real, long ino, Stat shown) {

  /** An entry whose attributes the listing does not give. */
  public DirEntry(String name, int type, Path real, long ino) {
    this(name, type, real, ino, null);
  }
}
