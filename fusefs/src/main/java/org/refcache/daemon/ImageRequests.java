package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.RefConfig;
import org.refcache.core.layer.Compression;
import org.refcache.core.oci.BlobSource;
import org.refcache.core.oci.DockerArchiveReader;
import org.refcache.core.oci.ImageNotFoundException;
import org.refcache.core.oci.LayoutReference;
import org.refcache.core.oci.OciDescriptor;
import org.refcache.core.oci.OciFormatException;
import org.refcache.core.oci.OciImage;
import org.refcache.core.oci.OciLayoutReader;
import org.refcache.core.oci.OciLayoutWriter;
import org.refcache.core.oci.RefExporter;
import org.refcache.core.oci.RefImporter;
import org.refcache.posix.Printable;
import org.refcache.protocol.ErrorKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's image requests: {@code export} (a ref as an image in an OCI image layout) and
 * {@code import-oci} (an image of a layout, or of a {@code docker save} archive, as a chain of lazy
 * refs, the top one held). Both run outside the service's lock, on a handle: writing or reading
 * blobs takes as long as the image is large.
 *
 * <p>Failures: an unknown ref, directory, archive or tag is {@link ErrorKind#NOT_FOUND}; a bad tag or
 * compression name {@link ErrorKind#USAGE}; a layout that is not one, a missing blob or a blob that
 * is not what its digest says {@link ErrorKind#OTHER}, with the layout and the blob named.
 */
final class ImageRequests {
  private static final Logger LOG = LoggerFactory.getLogger(ImageRequests.class);

  private final RefService service;

  ImageRequests(RefService service) {
    this.service = service;
  }

  /** What an export wrote. */
  record Exported(String dir, String tag, OciDescriptor manifest, int layers) {
  }

  /** Hears each layer of an export as it is written. */
  interface Progress {
    void layer(int layer, int layers);
  }

  /**
   * Writes the image of {@code id} into the layout {@code dir} under {@code tag} (default
   * {@value OciLayoutWriter#DEFAULT_TAG}).
   *
   * @param compression {@code gzip}, {@code zstd} or {@code uncompressed}: every layer in it (existing
   *     blobs converted); null: existing blobs as they are, new ones gzip
   */
  Exported export(String id, Path dir, String tag, String compression, Progress progress) throws IOException {
    LayoutReference target = new LayoutReference(dir, tagOrDefault(tag));
    RefConfig cfg = compression == null ? RefConfig.defaults() : RefConfig.forced(compression(compression));
    ImmutableRef ref = service.readHandle(id);
    try {
      int[] count = {0};
      OciDescriptor manifest = RefExporter.export(ref, cfg, target, (i, n, blob) -> {
        count[0] = n;
        progress.layer(i + 1, n);
      });
      LOG.info("exported {} to {} ({} layers, manifest {})", ref.id(), Printable.text(target.toString()), count[0],
          manifest.digest());
      return new Exported(dir.toString(), target.tag(), manifest, count[0]);
    } catch (OciFormatException e) {
      throw new ControlException(ErrorKind.OTHER, "cannot export " + id + " to " + target + ": " + e.getMessage());
    } finally {
      ref.release();
    }
  }

  /**
   * Imports the image {@code tag} of the layout (a directory) or Docker archive (a file) at {@code path}
   * and holds its top ref. A layout's tag defaults to {@value OciLayoutWriter#DEFAULT_TAG}; an archive
   * without a tag must hold one image.
   *
   * @return the top ref's ID
   */
  String importOci(Path path, String tag) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    String where = tag == null ? path.toString() : path + ":" + tag;
    try {
      ImmutableRef top;
      if (Files.isDirectory(path)) {
        OciLayoutReader layout = OciLayoutReader.open(path);
        top = importImage(layout.image(tagOrDefault(tag)), layout, where);
      } else {
        try (DockerArchiveReader archive = DockerArchiveReader.open(path)) {
          top = importImage(archive.image(tag), archive, where);
        }
      }
      return service.holdNew(top, "imported image " + Printable.text(where));
    } catch (ImageNotFoundException e) {
      throw new ControlException(ErrorKind.NOT_FOUND, e.getMessage());
    } catch (OciFormatException e) {
      throw new ControlException(ErrorKind.OTHER, "cannot import " + where + ": " + e.getMessage());
    }
  }

  /**
   * Gives every layer of {@code ref} a blob (spec 6.4), so that a layer can be imported onto it, and
   * releases it. Runs outside the service lock (it takes as long as the tree is large); the handle
   * keeps the ref meanwhile.
   */
  static void giveBlobs(ImmutableRef ref) {
    try {
      if (ref.chainId().isEmpty()) {
        ref.getRemotes(true, RefConfig.defaults(), false);
      }
    } finally {
      ref.release();
    }
  }

  private ImmutableRef importImage(OciImage image, BlobSource source, String where) throws IOException {
    return RefImporter.importImage(service.cache(), image, source, where, "import-oci " + where);
  }

  private static String tagOrDefault(String tag) {
    String t = tag == null ? OciLayoutWriter.DEFAULT_TAG : tag;
    if (!OciLayoutWriter.isValidTag(t)) {
      throw new ControlException(ErrorKind.USAGE, "\"" + t + "\" is not a valid image tag");
    }
    return t;
  }

  static Compression compression(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "gzip" -> Compression.GZIP;
      case "zstd" -> Compression.ZSTD;
      case "uncompressed" -> Compression.UNCOMPRESSED;
      default -> throw new ControlException(ErrorKind.USAGE, "compression must be gzip, zstd or uncompressed, not "
          + name);
    };
  }
}
