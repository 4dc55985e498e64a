package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the writable tree's tests start from: a {@link WritableOverlayTree} with an empty upper over
 * the two lower layers of {@link Fixture}, in a temporary directory.
 */
abstract class WritableTreeFixture {

  @TempDir
  Path base;

  Fixture fixture;
  Path upper;
  WritableOverlayTree tree;

  @BeforeEach
  void createTree() throws IOException {
    fixture = Fixture.create(base);
    upper = Files.createDirectory(base.resolve("upper"));
    tree = new WritableOverlayTree(upper, fixture.lowers());
  }
}
