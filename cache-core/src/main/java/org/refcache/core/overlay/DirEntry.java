package org.refcache.core.overlay;

import java.nio.file.Path;

/**
 * One name in a merged directory listing.
 *
 * @param name the entry's name (no {@code '/'})
 * @param type the file type bits of the topmost entry of that name ({@code Posix.S_IF*})
 * @param real the topmost entry of that name, the one {@link OverlayTree#resolve} answers with
 * @param ino  the inode number the union reports for the entry ({@link Node#ino()}), as
 *             {@code d_ino} (saves the FUSE view a lookup per entry)
 */
public record DirEntry(String name, int type, Path real, long ino) {
}
