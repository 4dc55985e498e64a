package org.refcache.fuse.libfuse;

import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * The bits of libfuse 2.9's structures (x86_64) that jnr-fuse 0.5.8 maps only as padding, written
 * straight into the native memory. Checked once against jnr-fuse's own layout, so a jnr-fuse or
 * platform whose structures differ fails at mount time instead of corrupting memory.
 *
 * <ul>
 *   <li>{@code struct fuse_file_info}: {@code int flags} at 0, {@code unsigned long fh_old} at 8,
 *       {@code int writepage} at 16, then the bit field {@code direct_io:1, keep_cache:1, ...}
 *       at 20, {@code uint64_t fh} at 24; 40 bytes.</li>
 *   <li>{@code struct fuse_operations}: 38 function pointers, then the bit field
 *       {@code flag_nullpath_ok:1, flag_nopath:1, flag_utime_omit_ok:1, ...} at 304, then six
 *       more pointers; 360 bytes.</li>
 * </ul>
 */
final class FuseAbi {

  static final int FILE_INFO_SIZE = 40;
  static final int FILE_INFO_BITS_OFFSET = 20;
  static final int FILE_INFO_FH_OFFSET = 24;
  static final int KEEP_CACHE_BIT = 1 << 1;

  static final int OPERATIONS_SIZE = 360;
  static final int OPERATIONS_FLAGS_OFFSET = 304;
  /** Operations on an unlinked open file get a null path instead of failing with ENOENT. */
  static final int FLAG_NULLPATH_OK = 1;
  /** utimens receives UTIME_NOW/UTIME_OMIT instead of libfuse dropping one-sided changes. */
  static final int FLAG_UTIME_OMIT_OK = 1 << 2;

  private FuseAbi() {
  }

  /**
   * Asks the kernel to keep the file's cached pages on this open ({@code FOPEN_KEEP_CACHE}), what
   * {@code -o kernel_cache} does for every open of the mount.
   */
  static void setKeepCache(FuseFileInfo fi) {
    Pointer memory = Struct.getMemory(fi);
    memory.putInt(FILE_INFO_BITS_OFFSET, memory.getInt(FILE_INFO_BITS_OFFSET) | KEEP_CACHE_BIT);
  }

  /** Whether {@link #setKeepCache} was called on {@code fi}. */
  static boolean keepCache(FuseFileInfo fi) {
    return (Struct.getMemory(fi).getInt(FILE_INFO_BITS_OFFSET) & KEEP_CACHE_BIT) != 0;
  }

  /** Sets operation flags (bits of {@code struct fuse_operations}); call before mounting. */
  static void setOperationFlags(FuseOperations operations, int flags) {
    if (Struct.size(operations) != OPERATIONS_SIZE) {
      throw new IllegalStateException("jnr-fuse's fuse_operations has " + Struct.size(operations)
          + " bytes, not the " + OPERATIONS_SIZE + " of libfuse 2.9 on x86_64");
    }
    Pointer memory = Struct.getMemory(operations);
    memory.putInt(OPERATIONS_FLAGS_OFFSET, memory.getInt(OPERATIONS_FLAGS_OFFSET) | flags);
  }

  /** Whether jnr-fuse's {@code FuseFileInfo} has the layout the offsets above assume. */
  static void checkFileInfoLayout(FuseFileInfo probe) {
    probe.fh.set(0x0102030405060708L);
    Pointer memory = Struct.getMemory(probe);
    if (Struct.size(probe) != FILE_INFO_SIZE
        || memory.getLongLong(FILE_INFO_FH_OFFSET) != 0x0102030405060708L) {
      throw new IllegalStateException("jnr-fuse's fuse_file_info does not have the layout of "
          + "libfuse 2.9 on x86_64 (fh at " + FILE_INFO_FH_OFFSET + ")");
    }
  }
}
