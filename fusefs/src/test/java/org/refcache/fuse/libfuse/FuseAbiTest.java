package org.refcache.fuse.libfuse;

import static org.assertj.core.api.Assertions.assertThat;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FuseOperations;
import org.refcache.posix.Posix;

/** The structure layouts the view writes into by offset (libfuse 2.9, x86_64). */
class FuseAbiTest {

  private static final Runtime RUNTIME = Runtime.getSystemRuntime();

  @Test
  void fileInfoHasTheLayoutOfLibfuse29() {
    FuseAbi.checkFileInfoLayout(FuseFileInfo.of(Memory.allocateDirect(RUNTIME, 40)));
  }

  @Test
  void keepCacheIsBitOneOfTheWordAfterWritepage() {
    Pointer memory = Memory.allocateDirect(RUNTIME, 40, true);
    FuseFileInfo fi = FuseFileInfo.of(memory);
    fi.fh.set(77);

    FuseAbi.setKeepCache(fi);

    assertThat(memory.getInt(20)).isEqualTo(2);
    assertThat(memory.getInt(16)).isZero(); // writepage untouched
    assertThat(fi.fh.get()).isEqualTo(77);
  }

  @Test
  void operationFlagsFollowTheFunctionPointersUpToBmap() {
    FuseOperations operations = new FuseOperations(RUNTIME);
    assertThat(Struct.size(operations)).isEqualTo(FuseAbi.OPERATIONS_SIZE);

    FuseAbi.setOperationFlags(operations,
        FuseAbi.FLAG_NULLPATH_OK | FuseAbi.FLAG_UTIME_OMIT_OK);

    Pointer memory = Struct.getMemory(operations);
    assertThat(memory.getInt(FuseAbi.OPERATIONS_FLAGS_OFFSET)).isEqualTo(0b101);
    // 38 function pointers precede the flags: bmap is the last of them
    assertThat(FuseAbi.OPERATIONS_FLAGS_OFFSET).isEqualTo(38 * 8);
  }

  @Test
  void fileStatIsAsLargeAsStructStat() {
    assertThat(Struct.size(FileStat.of(Memory.allocateDirect(RUNTIME, Posix.STAT_SIZE))))
        .isEqualTo(Posix.STAT_SIZE);
  }
}
