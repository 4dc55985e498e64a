package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A contract test of the view run on each transport (the subclass is a {@code @ParameterizedClass}
 * over {@link FuseOptions.Transport}): before each test the transport serves
 * ({@link TransportLimits}), a {@link ViewFixture} on it in a temporary directory, closed (and
 * unmounted) after the test.
 */
abstract class ViewOnEachTransport {

  final FuseOptions.Transport transport;

  @TempDir
  Path tmp;
  ViewFixture view;

  ViewOnEachTransport(FuseOptions.Transport transport) {
    this.transport = transport;
  }

  @BeforeEach
  void openView(TestInfo test) throws IOException {
    TransportLimits.assumeServed(transport, test);
    view = new ViewFixture(tmp, transport);
  }

  @AfterEach
  void closeView() throws IOException {
    if (view != null) {
      view.close();
    }
  }
}
