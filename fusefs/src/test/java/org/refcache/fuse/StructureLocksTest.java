package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StructureLocksTest {

  private final StructureLocks locks = new StructureLocks();

  private static MountPath p(String path) {
    return MountPath.parse(path);
  }

  @Test
  void everyPlaceOfARefSharesItsLockAndOtherRefsHaveTheirOwn() {
    assertThat(locks.of(p("/refs/a/x/y"))).isSameAs(locks.of(p("/refs/a")))
        .isSameAs(locks.of(MountPath.unlinked("a", 7)));
    assertThat(locks.of(p("/refs/a"))).isNotSameAs(locks.of(p("/refs/ab")));
  }

  @Test
  void theMountsOwnDirectoriesAndUnknownNodesShareOneLock() {
    assertThat(locks.of(p("/"))).isSameAs(locks.of(p("/refs"))).isSameAs(locks.of(null))
        .isSameAs(locks.of(p("/refs/")));
    assertThat(locks.of(p("/"))).isNotSameAs(locks.of(p("/refs/a")));
  }

  @Test
  void aForgottenRefGetsANewLock() {
    var before = locks.of(p("/refs/a/x"));
    locks.forget("a");
    assertThat(locks.of(p("/refs/a/x"))).isNotSameAs(before);
  }
}
