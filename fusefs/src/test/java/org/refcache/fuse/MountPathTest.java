package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.refcache.fuse.MountPath.Kind;

class MountPathTest {

  @Test
  void theMountsOwnDirectories() {
    assertThat(MountPath.parse("/").kind()).isEqualTo(Kind.ROOT);
    assertThat(MountPath.parse("/refs").kind()).isEqualTo(Kind.REFS);
  }

  @Test
  void pathsInARefSplitIntoIdAndTreePath() {
    assertThat(MountPath.parse("/refs/abc")).isEqualTo(new MountPath(Kind.REF, "abc", ""));
    assertThat(MountPath.parse("/refs/abc/d")).isEqualTo(new MountPath(Kind.REF, "abc", "d"));
    assertThat(MountPath.parse("/refs/abc/d/e.txt"))
        .isEqualTo(new MountPath(Kind.REF, "abc", "d/e.txt"));
  }

  @Test
  void anythingElseIsNothing() {
    for (String path : new String[] {"/x", "/refsx", "/refs/", "/refs//x", "/refs/a/", "/ref"}) {
      assertThat(MountPath.parse(path).kind()).as(path).isEqualTo(Kind.NONE);
    }
  }

  @Test
  void namesAreLimitedTo255BytesOfUtf8() {
    assertThat(MountPath.nameTooLong("/refs/r/" + "a".repeat(255))).isFalse();
    assertThat(MountPath.nameTooLong("/refs/r/" + "a".repeat(256))).isTrue();
    assertThat(MountPath.nameTooLong("/refs/r/" + "é".repeat(127))).isFalse();
    assertThat(MountPath.nameTooLong("/refs/r/" + "é".repeat(128))).isTrue();
    assertThat(MountPath.nameTooLong("/refs/" + "x".repeat(300) + "/short")).isFalse();
  }
}
