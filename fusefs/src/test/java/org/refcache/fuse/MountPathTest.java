package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.refcache.fuse.MountPath.Kind;
import org.refcache.posix.FileNames;

class MountPathTest {

  @Test
  void theMountsOwnDirectories() {
    assertThat(MountPath.parse("/")).isEqualTo(MountPath.ROOT);
    assertThat(MountPath.parse("/refs")).isEqualTo(MountPath.REFS);
  }

  @Test
  void pathsInARefSplitIntoIdAndTreePath() {
    assertThat(MountPath.parse("/refs/abc")).isEqualTo(MountPath.inRef("abc", ""));
    assertThat(MountPath.parse("/refs/abc/d")).isEqualTo(MountPath.inRef("abc", "d"));
    assertThat(MountPath.parse("/refs/abc/d/e.txt")).isEqualTo(MountPath.inRef("abc", "d/e.txt"));
  }

  @Test
  void aPathsParentIsTheDirectoryHoldingIt() {
    assertThat(MountPath.parse("/refs/abc/d/e.txt").parent()).isEqualTo(MountPath.inRef("abc", "d"));
    assertThat(MountPath.parse("/refs/abc/d").parent()).isEqualTo(MountPath.refRoot("abc"));
    assertThat(MountPath.refRoot("abc").parent()).isEqualTo(MountPath.REFS);
    assertThat(MountPath.REFS.parent()).isEqualTo(MountPath.ROOT);
    assertThat(MountPath.ROOT.parent()).isNull();
    assertThat(MountPath.NONE.parent()).isNull();
  }

  @Test
  void aLongNameIsTooLongWhereverItIs() {
    String longest = "n".repeat(MountPath.NAME_MAX);
    assertThat(MountPath.inRef("abc", "d/" + longest).nameTooLong()).isFalse();
    assertThat(MountPath.inRef("abc", "d/" + longest + "x").nameTooLong()).isTrue();
    assertThat(MountPath.inRef("abc", longest + "x/d").nameTooLong()).as("only the last name").isFalse();
    assertThat(MountPath.refRoot(longest + "x").nameTooLong()).isTrue();
  }

  @Test
  void anythingElseIsNothing() {
    for (String path : new String[] {"/x", "/refsx", "/refs/", "/refs//x", "/refs/a/", "/ref"}) {
      assertThat(MountPath.parse(path).kind()).as(path).isEqualTo(Kind.NONE);
    }
  }

  @Test
  void childrenAreBuiltNameByNameAsParsingWouldSplitThem() {
    MountPath file = MountPath.ROOT.child("refs").child("abc").child("d").child("e.txt");
    assertThat(file).isEqualTo(MountPath.parse("/refs/abc/d/e.txt"));
    assertThat(file.toString()).isEqualTo("/refs/abc/d/e.txt");
    assertThat(MountPath.ROOT.child("x")).isEqualTo(MountPath.NONE);
    assertThat(MountPath.NONE.child("x")).isEqualTo(MountPath.NONE);
    assertThat(MountPath.unlinked("abc", 3).child("x")).isEqualTo(MountPath.NONE);
  }

  @Test
  void namesAreLimitedTo255Bytes() {
    assertThat(MountPath.parse("/refs/r/" + "a".repeat(255)).nameTooLong()).isFalse();
    assertThat(MountPath.parse("/refs/r/" + "a".repeat(256)).nameTooLong()).isTrue();
    // Names are byte strings: "é" in UTF-8 is two chars, \u00c3\u00a9.
    String e = FileNames.fromText("\u00e9");
    assertThat(MountPath.parse("/refs/r/" + e.repeat(127)).nameTooLong()).isFalse();
    assertThat(MountPath.parse("/refs/r/" + e.repeat(128)).nameTooLong()).isTrue();
    assertThat(MountPath.parse("/refs/r/" + "\u00ff".repeat(255)).nameTooLong()).isFalse();
    assertThat(MountPath.parse("/refs/" + "x".repeat(300) + "/short").nameTooLong()).isFalse();
    assertThat(MountPath.REFS.child("x".repeat(300)).nameTooLong()).isTrue();
  }

  @Test
  void aPlaceKnowsItsRefAndWhetherItLiesInsideItsTree() {
    assertThat(MountPath.parse("/refs/r/a/b").refId()).isEqualTo("r");
    assertThat(MountPath.parse("/refs/r").refId()).isEqualTo("r");
    assertThat(MountPath.REFS.refId()).isNull();
    assertThat(MountPath.ROOT.refId()).isNull();
    assertThat(MountPath.parse("/refs/r/a").insideRef()).isTrue();
    assertThat(MountPath.parse("/refs/r").insideRef()).isFalse();
    assertThat(MountPath.parse("/refs/r").isRefRoot()).isTrue();
    assertThat(MountPath.REFS.insideRef()).isFalse();
    assertThat(MountPath.unlinked("r", 1).insideRef()).isFalse();
  }

  @Test
  void placesBelowARenamedDirectoryMoveWithIt() {
    MountPath dir = MountPath.parse("/refs/r/d");
    assertThat(MountPath.parse("/refs/r/d/x/y").isBelow(dir)).isTrue();
    assertThat(MountPath.parse("/refs/r/dx").isBelow(dir)).isFalse();
    assertThat(MountPath.parse("/refs/r/d").isBelow(dir)).isFalse();
    assertThat(MountPath.parse("/refs/s/d/x").isBelow(dir)).isFalse();
    assertThat(MountPath.parse("/refs/r/d/x/y").movedFrom(dir, MountPath.parse("/refs/r/e/f")))
        .isEqualTo(MountPath.parse("/refs/r/e/f/x/y"));
  }
}
