package org.refcache.core.cache;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.refcache.posix.Posix;

/**
 * The {@link DataObject}s on disk, whether a record uses them or not: blobs under
 * {@code content/blobs/<alg>/}, layers under {@code layers/} and uppers under {@code uppers/}.
 * Names starting with a dot are work in progress of their store ({@code .tmp-*} unpacks) and are
 * not objects.
 */
final class StoredObjects {
  private StoredObjects() {}

  /** The blob store's directory, {@code content/blobs}. */
  static Path blobsDir(StateLayout layout) {
    return layout.content().resolve("blobs");
  }

  /** Every object on disk now, blobs first. */
  static List<DataObject> list(StateLayout layout) throws IOException {
    List<DataObject> out = new ArrayList<>();
    Path blobs = blobsDir(layout);
    for (String alg : names(blobs)) {
      for (String hex : names(blobs.resolve(alg))) {
        out.add(new DataObject(DataObject.Kind.BLOB, blobs.resolve(alg).resolve(hex)));
      }
    }
    for (String name : names(layout.layers())) {
      out.add(new DataObject(DataObject.Kind.LAYER, layout.layers().resolve(name)));
    }
    for (String name : names(layout.uppers())) {
      out.add(new DataObject(DataObject.Kind.UPPER, layout.uppers().resolve(name)));
    }
    return out;
  }

  /** Names in {@code dir} that are not hidden, sorted; none when it is absent. */
  static List<String> names(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (String n : list(dir)) {
      if (!n.startsWith(".")) {
        out.add(n);
      }
    }
    out.sort(null);
    return out;
  }

  /** Hidden names in {@code dir}: work in progress of its store. */
  static List<String> hidden(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (String n : list(dir)) {
      if (n.startsWith(".")) {
        out.add(n);
      }
    }
    return out;
  }

  private static List<String> list(Path dir) throws IOException {
    try {
      return Posix.list(dir);
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }
}
