package org.refcache.core.layer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Fuzz tests of the tar reader: whatever the bytes, reading a layer's entries (names, link targets,
 * xattrs, contents) and listing its files (of a plain or compressed blob) either succeeds or fails
 * with an {@link IOException} that says why; never with a runtime exception or an error (an
 * unchecked exception here reaches a client as "internal error", or kills an unpack thread).
 *
 * <p>{@code mvn verify} runs them on the seeds in {@code LayerTarFuzzTestInputs/<method>/} (regression
 * mode); README.md says how to fuzz one of them for longer.
 */
class LayerTarFuzzTest {
  private static final int COPY_BUFFER = 8192;

  @FuzzTest
  void readingEntriesGivesThemOrAnIoException(byte[] tar) {
    FuzzInvariants.completesOrRefuses(() -> readAll(tar));
  }

  @FuzzTest
  void listingFilesGivesNamesOrAnIoException(byte[] blob) {
    // Declared as what it looks like, so gzip and zstd inputs reach the tar too.
    String mediaType = Compression.sniff(blob, Math.min(blob.length, Compression.MAGIC_LENGTH))
        .ociMediaType();
    FuzzInvariants.completesOrRefuses(
        () -> TarLister.list(new ByteArrayInputStream(blob), mediaType));
  }

  private static void readAll(byte[] tar) throws IOException {
    byte[] buf = new byte[COPY_BUFFER];
    try (LayerTarInputStream in = new LayerTarInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        in.name(entry);
        in.linkName(entry);
        for (Map.Entry<String, byte[]> xattr : in.xattrs(entry).entrySet()) {
          xattr.getValue();
        }
        while (in.read(buf, 0, buf.length) >= 0) {
          // the content, as the unpacker reads it
        }
      }
    }
  }
}
