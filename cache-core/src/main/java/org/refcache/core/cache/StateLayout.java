package org.refcache.core.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where things live under the state root (DESIGN "Storage layout"). */
public record StateLayout(Path root) {
  public Path meta() {
    return root.resolve("meta");
  }

  public Path content() {
    return root.resolve("content");
  }

  public Path layers() {
    return root.resolve("layers");
  }

  public Path uppers() {
    return root.resolve("uppers");
  }

  /** Scratch space of the service; emptied at every start (BuildKit's mount pool). */
  public Path tmp() {
    return root.resolve("tmp");
  }

  /** Creates the directories (mode 0700 for the root's private parts). */
  void create() throws IOException {
    for (Path p : new Path[] {root, meta(), content(), layers(), uppers(), tmp()}) {
      Files.createDirectories(p);
    }
  }

  /** The path stored in metadata for {@code p}: relative to the root. */
  String relative(Path p) {
    return root.relativize(p).toString();
  }
}
