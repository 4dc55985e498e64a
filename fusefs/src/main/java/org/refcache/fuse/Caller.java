package org.refcache.fuse;

/**
 * Who asked: the process whose request the view serves. What it creates is owned by it (in a
 * setgid directory, by the directory's group). Permissions are the kernel's to check
 * ({@code default_permissions}).
 *
 * @param uid its file system user ID
 * @param gid its file system group ID
 */
public record Caller(int uid, int gid) {
}
