package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;

class LayerTarInputStreamTest {

  @Test
  void parsesRawPaxRecordsKeepingBinaryValues() {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.writeBytes(TarBuilder.paxRecord("path", "a/b".getBytes(StandardCharsets.UTF_8)));
    data.writeBytes(TarBuilder.paxRecord("SCHILY.xattr.security.capability",
        new byte[] {1, (byte) 0xff, '\n', '=', 0}));
    data.writeBytes(new byte[] {0, 0, 0});

    Map<String, List<byte[]>> records = LayerTarInputStream.parseRecords(data.toByteArray());

    assertThat(records.get("path")).singleElement()
        .satisfies(v -> assertThat(v).isEqualTo("a/b".getBytes(StandardCharsets.UTF_8)));
    assertThat(records.get("SCHILY.xattr.security.capability")).singleElement()
        .satisfies(v -> assertThat(v).containsExactly(1, 0xff, '\n', '=', 0));
  }

  @Test
  void xattrsOfEachEntryStayWithThatEntry() throws IOException {
    byte[] tar = new TarBuilder()
        .xattr("user.a", new byte[] {(byte) 0x80}).file("a", "")
        .file("b", "")
        .xattr("user.a", new byte[] {(byte) 0x81}).xattr("user.c", new byte[] {'c'})
        .file("c" + "x".repeat(150), "")
        .build();

    try (LayerTarInputStream in = new LayerTarInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry a = in.getNextEntry();
      assertThat(in.xattrs(a)).containsOnlyKeys("user.a");
      assertThat(in.xattrs(a).get("user.a")).containsExactly(0x80);
      TarArchiveEntry b = in.getNextEntry();
      assertThat(in.xattrs(b)).isEmpty();
      TarArchiveEntry c = in.getNextEntry();
      assertThat(c.getName()).hasSize(151);
      assertThat(in.xattrs(c).get("user.a")).containsExactly(0x81);
      assertThat(in.xattrs(c).get("user.c")).containsExactly('c');
    }
  }
}
