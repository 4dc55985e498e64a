package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.refcache.posix.FileNames;
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
  void namesAreLimitedTo255Bytes() {
    assertThat(MountPath.nameTooLong("/refs/r/" + "a".repeat(255))).isFalse();
    assertThat(MountPath.nameTooLong("/refs/r/" + "a".repeat(256))).isTrue();
    // Paths come from jnr-fuse as byte strings: "é" in UTF-8 is two chars, \u00c3\u00a9.
    String e = FileNames.fromText("\u00e9");
    assertThat(MountPath.nameTooLong("/refs/r/" + e.repeat(127))).isFalse();
    assertThat(MountPath.nameTooLong("/refs/r/" + e.repeat(128))).isTrue();
    assertThat(MountPath.nameTooLong("/refs/r/" + "\u00ff".repeat(255))).isFalse();
    assertThat(MountPath.nameTooLong("/refs/" + "x".repeat(300) + "/short")).isFalse();
  }

  @Test
  void aPathKnowsItsRefAndWhetherItLiesInsideItsTree() {
    assertThat(MountPath.refIdOf("/refs/r/a/b")).isEqualTo("r");
    assertThat(MountPath.refIdOf("/refs/r")).isEqualTo("r");
    assertThat(MountPath.refIdOf("/refs")).isNull();
    assertThat(MountPath.refIdOf("/")).isNull();
    assertThat(MountPath.insideRef("/refs/r/a")).isTrue();
    assertThat(MountPath.insideRef("/refs/r")).isFalse();
    assertThat(MountPath.insideRef("/refs")).isFalse();
    assertThat(MountPath.refRoot("r")).isEqualTo("/refs/r");
  }
}
