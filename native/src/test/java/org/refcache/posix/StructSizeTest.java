package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;

import jnr.ffi.Platform;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The declared structs must match the C layout byte for byte, or calls corrupt memory. */
class StructSizeTest {

  private static final Runtime RUNTIME = Runtime.getSystemRuntime();

  @BeforeAll
  static void onlyX8664Linux() {
    assertThat(Platform.getNativePlatform().getOS()).isEqualTo(Platform.OS.LINUX);
    assertThat(Platform.getNativePlatform().getCPU()).isEqualTo(Platform.CPU.X86_64);
  }

  @Test
  void statHasX8664Layout() {
    Library.StatBuf stat = new Library.StatBuf(RUNTIME);
    assertThat(Struct.size(stat)).isEqualTo(144).isEqualTo(Posix.STAT_SIZE);
    assertThat(stat.st_mode.offset()).isEqualTo(24);
    assertThat(stat.st_rdev.offset()).isEqualTo(40);
    assertThat(stat.st_size.offset()).isEqualTo(48);
    assertThat(stat.st_atime.offset()).isEqualTo(72);
    assertThat(stat.st_mtime.offset()).isEqualTo(88);
    assertThat(stat.st_ctime_nsec.offset()).isEqualTo(112);
  }

  @Test
  void statvfsHasX8664Layout() {
    Library.StatVfsBuf statvfs = new Library.StatVfsBuf(RUNTIME);
    assertThat(Struct.size(statvfs)).isEqualTo(112);
    assertThat(statvfs.f_fsid.offset()).isEqualTo(64);
    assertThat(statvfs.f_namemax.offset()).isEqualTo(80);
  }

  @Test
  void sockaddrUnHasX8664Layout() {
    Library.SockaddrUn sockaddr = new Library.SockaddrUn(RUNTIME);
    assertThat(Struct.size(sockaddr)).isEqualTo(110);
    assertThat(sockaddr.sun_family.offset()).isZero();
  }

  @Test
  void sockaddrUnLengthCountsPathTerminatorButNotAbstractOne() {
    assertThat(new Library.SockaddrUn(RUNTIME).setAddress("/run/x.sock")).isEqualTo(2 + 11 + 1);
    assertThat(new Library.SockaddrUn(RUNTIME).setAddress("@abstract")).isEqualTo(2 + 9);
  }
}
