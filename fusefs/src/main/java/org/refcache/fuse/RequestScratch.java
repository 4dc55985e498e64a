package org.refcache.fuse;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Per worker thread of the kernel transport: the native structures the view's path operations
 * fill (they take jnr-fuse's structures), allocated once per thread and cleared before each use.
 */
final class RequestScratch {

  private static final int STAT_MEMORY = 256;
  static final int PATH_MAX = 4096;
  private static final ThreadLocal<RequestScratch> MINE =
      ThreadLocal.withInitial(RequestScratch::new);

  private final Runtime runtime = Runtime.getSystemRuntime();
  private final Pointer statMemory = Memory.allocateDirect(runtime, STAT_MEMORY, true);
  final FileStat stat = FileStat.of(statMemory);
  private final Pointer fileInfoMemory =
      Memory.allocateDirect(runtime, FuseAbi.FILE_INFO_SIZE, true);
  private final FuseFileInfo fileInfo = FuseFileInfo.of(fileInfoMemory);
  final Pointer statvfsMemory = Memory.allocateDirect(runtime, 256, true);
  final Statvfs statvfs = Statvfs.of(statvfsMemory);
  private final Pointer timesMemory = Memory.allocateDirect(runtime, 32, true);
  final Timespec[] times = {Timespec.of(timesMemory), Timespec.of(timesMemory.slice(16))};
  final Pointer linkMemory = Memory.allocateDirect(runtime, PATH_MAX + 1, true);

  private RequestScratch() {
  }

  /** This thread's. */
  static RequestScratch get() {
    return MINE.get();
  }

  FileStat clearedStat() {
    statMemory.setMemory(0, STAT_MEMORY, (byte) 0);
    return stat;
  }

  FuseFileInfo fileInfo(int flags, long fh) {
    fileInfoMemory.setMemory(0, FuseAbi.FILE_INFO_SIZE, (byte) 0);
    fileInfo.flags.set(flags);
    fileInfo.fh.set(fh);
    return fileInfo;
  }
}
