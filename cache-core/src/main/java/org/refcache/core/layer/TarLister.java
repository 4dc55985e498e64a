package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The file list of a layer, as BuildKit's {@code ImmutableRef.FileList} gives it (spec 2.17): the
 * layer's own changes, not the full tree.
 */
public final class TarLister {
  /** UTF-8 byte order, which is code point order (Go's {@code sort.Strings}). */
  private static final Comparator<String> BYTE_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  };

  private TarLister() {
  }

  /**
   * The names of the entries of a layer blob, each cleaned like Go's {@code path.Clean}
   * ({@code ./a/b/} is {@code a/b}, the root entry is {@code .}), whiteout names ({@code .wh.*})
   * included, sorted by UTF-8 bytes. Duplicates stay. Compression is checked as for unpacking;
   * {@code blob} is not closed.
   */
  public static List<String> list(InputStream blob, String mediaType) throws IOException {
    return list(blob, new LayerBlob("layer", mediaType, -1), LayerLimits.DEFAULTS);
  }

  /** {@link #list(InputStream, String)}, holding the blob to {@code limits}. */
  public static List<String> list(InputStream blob, LayerBlob layer, LayerLimits limits)
      throws IOException {
    try (LayerStream stream = LayerStream.open(blob, layer, limits, null)) {
      List<String> names = new ArrayList<>();
      stream.readEntries((entry, tar) -> names.add(EntryPath.clean(tar.name(entry))));
      names.sort(BYTE_ORDER);
      return names;
    }
  }
}
