package org.refcache.core.layer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Fuzz tests of the tar reader: whatever the bytes, reading a layer's entries (names, link targets,
 * xattrs, contents) and listing its files either succeeds or fails with an {@link IOException}; never
 * with a runtime exception or an error (an unchecked exception here reaches a client as "internal
 * error", or kills an unpack thread).
 *
 * <p>{@code mvn verify} runs them on the seeds in {@code LayerTarFuzzTestInputs/<method>/} (regression
 * mode); README.md says how to fuzz one of them for longer.
 */
class LayerTarFuzzTest {
  /** What the tests ask of a tar; nothing is written anywhere. */
  private static final int COPY_BUFFER = 8192;

  @FuzzTest
  void readingEntriesGivesThemOrAnIoException(byte[] tar) {
    FuzzInvariants.completesOrRefuses(() -> readAll(tar));
  }

  @FuzzTest
  void listingFilesGivesNamesOrAnIoException(byte[] tar) {
    FuzzInvariants.completesOrRefuses(
        () -> TarLister.list(new ByteArrayInputStream(tar), MediaTypes.OCI_LAYER));
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
