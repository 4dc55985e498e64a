package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.digest.Digest;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a layer blob to a new directory in one streaming pass: blob, decompress, digest, tar,
 * files. No temporary copy of the tar is made; the tree is built in a {@code .tmp-*} sibling of
 * the target and renamed into place only once the whole stream has been read and its diffID
 * checked, so the target either does not exist or is complete. See the package documentation for
 * how entries become files and which ones are refused; {@link LayerValidator} refuses the same
 * ones without writing anything.
 *
 * <p>Stateless and thread-safe; unpacks of different targets may run in parallel. Needs root.
 */
public final class LayerUnpacker {
  /** Prefix of the work directories next to targets; {@link LayerStore} removes leftovers. */
  static final String TEMP_PREFIX = ".tmp-";

  private static final Logger LOG = LoggerFactory.getLogger(LayerUnpacker.class);
  /** File content read ahead of the writer at most. */
  private static final int MAX_QUEUED_BYTES = 8 * 1024 * 1024;

  private final boolean syncToDisk;
  private final LayerLimits limits;

  /** An unpacker that flushes each layer to disk before it becomes visible, default limits. */
  public LayerUnpacker() {
    this(true);
  }

  /**
   * @param syncToDisk whether to fsync every file and directory of a layer before renaming it
   *                   into place, so that a layer that survives a crash is complete
   */
  public LayerUnpacker(boolean syncToDisk) {
    this(syncToDisk, LayerLimits.DEFAULTS);
  }

  /**
   * @param syncToDisk see {@link #LayerUnpacker(boolean)}
   * @param limits     what a layer may cost; one over them is refused
   */
  public LayerUnpacker(boolean syncToDisk, LayerLimits limits) {
    this.syncToDisk = syncToDisk;
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** {@link #unpack(InputStream, LayerBlob, Path, Digest)} of a blob of unknown size. */
  public UnpackResult unpack(InputStream blob, String mediaType, Path target, Digest expectedDiffId)
      throws IOException {
    return unpack(blob, new LayerBlob("layer", mediaType, -1), target, expectedDiffId);
  }

  /**
   * Streams blob -> decompress -> digest -> tar -> files into a new directory {@code target} (must
   * not exist; its parent must). Compression from the media type, checked against the magic bytes
   * (mismatch -> LayerFormatException). If expectedDiffId != null and the uncompressed digest
   * differs -> DiffIdMismatchException and target is not created. Any failure, a full disk
   * included, leaves nothing at target and no temp dir. {@code blob} is read to its end but not
   * closed.
   *
   * @param layer          what the blob is: its media type, and its size for the limits
   * @param expectedDiffId the diffID the layer is announced with, or null to accept any; its
   *                       algorithm is the one computed
   * @throws LayerFormatException if the layer is malformed, truncated or over the limits
   * @throws UnsafeLayerEntryException if an entry would write outside the layer
   * @throws FileAlreadyExistsException if {@code target} exists
   */
  public UnpackResult unpack(InputStream blob, LayerBlob layer, Path target, Digest expectedDiffId)
      throws IOException {
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(target, "target");
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(target.toString());
    }
    Path parent = target.toAbsolutePath().getParent();
    String algorithm = expectedDiffId == null ? Digest.SHA256 : expectedDiffId.algorithm();
    try (LayerStream stream = LayerStream.open(blob, layer, limits, algorithm)) {
      Path work = Files.createTempDirectory(parent, TEMP_PREFIX + target.getFileName() + "-");
      PipelinedLayerOutput out = null;
      try {
        // The files are made by a thread of their own while this one reads the layer.
        out = new PipelinedLayerOutput(new LayerDirectory(work, syncToDisk), MAX_QUEUED_BYTES,
            "refcache-unpack-" + target.getFileName());
        LayerApplier applier = new LayerApplier(out);
        UnpackResult read = stream.readEntries(applier::apply);
        Digest diffId = read.diffId();
        if (expectedDiffId != null && !expectedDiffId.equals(diffId)) {
          throw new DiffIdMismatchException(expectedDiffId, diffId);
        }
        applier.finish(syncToDisk);
        out.finish();
        Posix.renameat2(work, target, Posix.RENAME_NOREPLACE);
        if (syncToDisk) {
          try (FileChannel dir = FileChannel.open(parent, StandardOpenOption.READ)) {
            dir.force(true);
          }
        }
        UnpackResult result = read;
        LOG.debug("unpacked {} into {}: {} entries, {} bytes uncompressed", diffId, Printable.name(target),
            result.entries(), result.uncompressedSize());
        return result;
      } catch (Throwable t) {
        if (out != null) {
          out.close(); // the writer stops before its tree is deleted
        }
        try {
          FileTrees.deleteRecursively(work);
        } catch (IOException | RuntimeException cleanup) {
          t.addSuppressed(cleanup);
        }
        throw t;
      }
    }
  }
}
