package org.refcache.core.remote;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;

/**
 * A small image made in the test: gzip layers of a few files each, an image config naming their
 * diffIDs, and an OCI manifest. It can push itself and write itself as an OCI image layout.
 */
final class TestImage {
  /** One blob: media type and bytes. */
  record Blob(String mediaType, byte[] bytes) {
    OciDescriptor descriptor() {
      return OciDescriptor.of(mediaType, bytes);
    }

    Digest digest() {
      return Digest.sha256(bytes);
    }
  }

  final Platform platform;
  final List<Blob> layers;
  final List<Digest> diffIds;
  final Blob config;
  final ImageManifest manifest;
  final byte[] manifestBytes;

  private TestImage(Platform platform, List<Map<String, byte[]>> layerFiles) {
    this.platform = platform;
    List<Blob> ls = new ArrayList<>();
    List<Digest> ids = new ArrayList<>();
    for (Map<String, byte[]> files : layerFiles) {
      byte[] tar = tar(files);
      ids.add(Digest.sha256(tar));
      ls.add(new Blob(MediaTypes.OCI_LAYER_GZIP, gzip(tar)));
    }
    this.layers = List.copyOf(ls);
    this.diffIds = List.copyOf(ids);
    this.config = new Blob(ManifestMediaTypes.OCI_CONFIG, configJson(platform, ids));
    this.manifest = ImageManifest.oci(config.descriptor(), ls.stream().map(Blob::descriptor).toList());
    this.manifestBytes = manifest.toJson();
  }

  private TestImage(TestImage oci, String layerType, String configType, String manifestType) {
    this.platform = oci.platform;
    this.layers = oci.layers.stream().map(b -> new Blob(layerType, b.bytes())).toList();
    this.diffIds = oci.diffIds;
    this.config = new Blob(configType, oci.config.bytes());
    this.manifest = new ImageManifest(manifestType, config.descriptor(),
        layers.stream().map(Blob::descriptor).toList(), Map.of());
    this.manifestBytes = manifest.toJson();
  }

  /** The same blobs under a Docker schema 2 manifest (Docker media types). */
  TestImage asDocker() {
    return new TestImage(this, MediaTypes.DOCKER_LAYER_GZIP, ManifestMediaTypes.DOCKER_CONFIG,
        ManifestMediaTypes.DOCKER_MANIFEST);
  }

  /** Two layers of a few small files, made from {@code seed}, for {@code platform}. */
  static TestImage twoLayers(Platform platform, long seed) {
    Map<String, byte[]> bottom = new LinkedHashMap<>();
    bottom.put("etc/os-release", ("ID=refcache-test\nSEED=" + seed + "\n").getBytes(StandardCharsets.UTF_8));
    bottom.put("bin/tool", random(20_000, seed));
    Map<String, byte[]> top = new LinkedHashMap<>();
    top.put("app/data.bin", random(30_000, seed + 1));
    top.put("app/README", ("platform " + platform + "\n").getBytes(StandardCharsets.UTF_8));
    return new TestImage(platform, List.of(bottom, top));
  }

  /** One layer holding one file of {@code size} random (incompressible) bytes. */
  static TestImage oneBigLayer(int size, long seed) {
    return new TestImage(Platform.LINUX_AMD64, List.of(Map.of("big.bin", random(size, seed))));
  }

  Digest manifestDigest() {
    return Digest.sha256(manifestBytes);
  }

  /** This image's manifest as an entry of an index, with its platform. */
  OciDescriptor manifestDescriptor() {
    return OciDescriptor.of(manifest.mediaType(), manifestBytes).withPlatform(platform);
  }

  List<Blob> blobs() {
    List<Blob> all = new ArrayList<>(layers);
    all.add(config);
    return all;
  }

  /** Pushes the blobs, then the manifest under {@code target}. */
  Digest push(RegistryClient client, ImageReference target) throws IOException {
    for (Blob b : blobs()) {
      client.pushBlob(target, b.descriptor(), BlobSource.of(b.bytes()), null);
    }
    return client.pushManifest(target, manifest.mediaType(), manifestBytes);
  }

  /** Writes an OCI image layout with this image under {@code tag} (as skopeo reads it). */
  void writeOciLayout(Path dir, String tag) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    for (Blob b : blobs()) {
      Files.write(dir.resolve("blobs/sha256").resolve(b.digest().hex()), b.bytes());
    }
    Files.write(dir.resolve("blobs/sha256").resolve(manifestDigest().hex()), manifestBytes);
    OciDescriptor entry = OciDescriptor.of(ManifestMediaTypes.OCI_MANIFEST, manifestBytes)
        .withAnnotations(Map.of("org.opencontainers.image.ref.name", tag));
    Files.write(dir.resolve("index.json"), ImageIndex.oci(List.of(entry)).toJson());
  }

  static byte[] configJson(Platform platform, List<Digest> diffIds) {
    StringBuilder ids = new StringBuilder();
    for (Digest d : diffIds) {
      ids.append(ids.length() > 0 ? "," : "").append('"').append(d).append('"');
    }
    String json = "{\"created\":\"2026-01-01T00:00:00Z\",\"architecture\":\"" + platform.architecture() + "\","
        + (platform.variant() != null ? "\"variant\":\"" + platform.variant() + "\"," : "")
        + "\"os\":\"" + platform.os() + "\",\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + ids + "]}}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] tar(Map<String, byte[]> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(f.getValue().length);
        e.setMode(0644);
        e.setModTime(1_600_000_000_000L);
        out.putArchiveEntry(e);
        out.write(f.getValue());
        out.closeArchiveEntry();
      }
      out.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
