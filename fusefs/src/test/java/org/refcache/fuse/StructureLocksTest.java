package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StructureLocksTest {

  private final StructureLocks locks = new StructureLocks();

  @Test
  void everyPathOfARefSharesItsLockAndOtherRefsHaveTheirOwn() {
    assertThat(locks.of("/refs/a/x/y")).isSameAs(locks.of("/refs/a"));
    assertThat(locks.of("/refs/a")).isNotSameAs(locks.of("/refs/ab"));
    assertThat(MountPath.refIdOf("/refs/ab/c")).isEqualTo("ab");
  }

  @Test
  void theMountsOwnDirectoriesAndNamelessNodesShareOneLock() {
    assertThat(locks.of("/")).isSameAs(locks.of("/refs")).isSameAs(locks.of(null))
        .isSameAs(locks.of("/refs/"));
    assertThat(locks.of("/")).isNotSameAs(locks.of("/refs/a"));
  }

  @Test
  void aForgottenRefGetsANewLock() {
    var before = locks.of("/refs/a/x");
    locks.forget("a");
    assertThat(locks.of("/refs/a/x")).isNotSameAs(before);
  }
}
