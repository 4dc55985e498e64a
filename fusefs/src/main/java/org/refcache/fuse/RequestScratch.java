package org.refcache.fuse;

/**
 * Per worker thread of the kernel transport: the {@link FileAttributes} the view fills, allocated
 * once per thread and cleared before each use, so that a lookup or getattr allocates no native
 * memory.
 */
final class RequestScratch {

  private static final ThreadLocal<FileAttributes> MINE =
      ThreadLocal.withInitial(FileAttributes::allocate);

  private RequestScratch() {
  }

  /** This thread's attributes, cleared. */
  static FileAttributes attributes() {
    return MINE.get().clear();
  }
}
