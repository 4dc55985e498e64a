package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.refcache.posix.FileNames;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TarListerTest {

  @Test
  void listsCleanedSortedNamesIncludingWhiteouts() throws IOException {
    byte[] tar = new TarBuilder()
        .dir("./")
        .dir("./usr/")
        .file("./usr/b", "b")
        .file("usr//a", "a")
        .file("etc/.wh.passwd", "")
        .file("etc/.wh..wh..opq", "")
        .symlink("z", "/target")
        .file("/abs/" + "l".repeat(120), "")
        .build();

    assertThat(TarLister.list(new ByteArrayInputStream(TarBuilder.compress(tar, Compression.ZSTD)),
        MediaTypes.OCI_LAYER_ZSTD))
        .containsExactly(".", "/abs/" + "l".repeat(120), "etc/.wh..wh..opq", "etc/.wh.passwd",
            "usr", "usr/a", "usr/b", "z");
  }

  @Test
  void sortsByUtf8BytesLikeGo() throws IOException {
    // U+FF21 (3 UTF-8 bytes) sorts before U+1F600 (4 bytes), unlike Java's UTF-16 order.
    byte[] tar = new TarBuilder().file("\uD83D\uDE00", "").file("\uFF21", "").file("B", "")
        .build();

    // Names come back as byte strings (FileNames), as Go's strings are bytes.
    assertThat(TarLister.list(new ByteArrayInputStream(tar), MediaTypes.OCI_LAYER))
        .containsExactly("B", FileNames.fromText("\uFF21"), FileNames.fromText("\uD83D\uDE00"));
  }

  @ParameterizedTest
  @CsvSource({
      "'', .",
      "./, .",
      "./a/b/, a/b",
      "a//b/./c, a/b/c",
      "/etc/x, /etc/x",
      "../x, ../x",
      "a/../../x, ../x",
      "/../x, /x",
      "a/.., .",
      "../a/../.., ../..",
  })
  void cleanFollowsGoPathClean(String in, String out) {
    assertThat(EntryPath.clean(in)).isEqualTo(out);
  }
}
