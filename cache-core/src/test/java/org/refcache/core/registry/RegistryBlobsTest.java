package org.refcache.core.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.refcache.core.cache.DescHandler;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.digest.Digest;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.RegistryClient;
import org.refcache.core.remote.RegistrySource;

/** The stored source of a pulled blob, and the provider bound again from it after a restart. */
class RegistryBlobsTest {
  private static final Digest MANIFEST = Digest.sha256(new byte[] {1});
  private static final ImageReference IMAGE = ImageReference.parse("127.0.0.1:5000/team/app:v1").withDigest(MANIFEST);

  @Test
  void aSourceReadsBackAsItWasStored() {
    for (boolean insecure : new boolean[] {false, true}) {
      RegistrySource source = new RegistrySource(IMAGE, insecure);
      assertThat(RegistrySource.parse(source.toString())).contains(source);
    }
    assertThat(new RegistrySource(IMAGE, true).toString()).startsWith("registry+insecure:");
  }

  @Test
  void whatIsNotARegistrySourceBindsNothing() {
    RegistryBlobs blobs = new RegistryBlobs(source -> {
      throw new AssertionError("no client for " + source);
    });
    Descriptor d = Descriptor.layer("application/vnd.oci.image.layer.v1.tar", Digest.sha256(new byte[] {2}), 1,
        Digest.sha256(new byte[] {3}));
    assertThat(blobs.resolve(null, d)).isEmpty();
    assertThat(blobs.resolve("import /tmp/x.tar", d)).isEmpty();
    assertThat(blobs.resolve("registry:not a reference", d)).isEmpty();
  }

  @Test
  void aReboundProviderAsksForTheClientOfTheStoredSource() throws Exception {
    List<RegistrySource> asked = new ArrayList<>();
    RegistryClient client = RegistryClient.builder().build();
    RegistryBlobs blobs = new RegistryBlobs(source -> {
      asked.add(source);
      return client;
    });
    RegistrySource stored = new RegistrySource(IMAGE, true);
    Descriptor d = Descriptor.layer("application/vnd.oci.image.layer.v1.tar", Digest.sha256(new byte[] {2}), 1,
        Digest.sha256(new byte[] {3}));
    DescHandler h = blobs.resolve(stored.toString(), d).orElseThrow();
    assertThat(h.ref()).isEqualTo(stored.toString());
    try (InputStream in = h.provider().open(d)) {
      assertThat(asked).containsExactly(stored); // opening is lazy: no request until the first read
    }
  }
}
