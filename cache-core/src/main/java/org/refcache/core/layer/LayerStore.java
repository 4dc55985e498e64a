package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.digest.Digest;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.refcache.posix.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unpacked layers under one directory ({@code <state root>/layers}), one directory per
 * diffID, named by its hex. A layer directory exists only complete (see {@link LayerUnpacker});
 * work directories are {@code .tmp-*} entries of the same root.
 *
 * <p>Thread-safe. One store per root in a process: a new store removes the {@code .tmp-*}
 * leftovers, which would include the work of another store unpacking into the same root.
 */
public final class LayerStore {
  private static final Logger LOG = LoggerFactory.getLogger(LayerStore.class);

  /** Opens a layer's blob; called at most once per unpack attempt, the stream is closed after. */
  @FunctionalInterface
  public interface BlobOpener {
    InputStream open() throws IOException;
  }

  private final Path root;
  private final LayerUnpacker unpacker;
  private final ConcurrentMap<Digest, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();

  /** A store at {@code layersRoot} (created if missing) with a syncing {@link LayerUnpacker}. */
  public LayerStore(Path layersRoot) throws IOException {
    this(layersRoot, new LayerUnpacker());
  }

  /**
   * A store at {@code layersRoot} (created if missing) that unpacks with {@code unpacker}; removes
   * leftover work directories of an earlier process.
   */
  public LayerStore(Path layersRoot, LayerUnpacker unpacker) throws IOException {
    this.root = Files.createDirectories(Objects.requireNonNull(layersRoot, "layersRoot"));
    this.unpacker = Objects.requireNonNull(unpacker, "unpacker");
    try (DirectoryStream<Path> leftovers =
        Files.newDirectoryStream(root, LayerUnpacker.TEMP_PREFIX + "*")) {
      for (Path leftover : leftovers) {
        LOG.info("removing leftover layer work directory {}", Printable.name(leftover));
        FileTrees.deleteRecursively(leftover);
      }
    }
  }

  /** The directory of the layer {@code diffId} ({@code <root>/<hex>}), whether or not unpacked. */
  public Path dir(Digest diffId) {
    return root.resolve(diffId.encoded());
  }

  /** Whether layer {@code diffId} is unpacked (its directory exists, and so is complete). */
  public boolean isUnpacked(Digest diffId) {
    return Files.isDirectory(dir(diffId), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Unpacks once per diffID even with concurrent callers (single-flight: waiters share the result
   * or the failure; after a failure the next call tries again). Temp dir inside layersRoot, then
   * atomic rename. The blob is opened only if the layer is not unpacked yet, and checked against
   * {@code diffId}.
   *
   * @return the layer's directory
   * @throws DiffIdMismatchException if the blob's uncompressed digest is not {@code diffId}
   */
  public Path ensureUnpacked(Digest diffId, String mediaType, BlobOpener blob) throws IOException {
    return ensureUnpacked(diffId, new LayerBlob(diffId.toString(), mediaType, -1), blob);
  }

  /**
   * {@link #ensureUnpacked(Digest, String, BlobOpener)} of {@code layer}, whose size the
   * expansion limit is measured against.
   */
  public Path ensureUnpacked(Digest diffId, LayerBlob layer, BlobOpener blob) throws IOException {
    Objects.requireNonNull(diffId, "diffId");
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(blob, "blob");
    Path dir = dir(diffId);
    if (isUnpacked(diffId)) {
      return dir;
    }
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> running = inFlight.putIfAbsent(diffId, mine);
    if (running != null) {
      return await(running);
    }
    try {
      // Another caller may have finished between the check above and taking the slot.
      if (!isUnpacked(diffId)) {
        unpack(diffId, layer, blob, dir);
      }
    } catch (Throwable t) {
      // Free the slot before waking the waiters: a caller that comes after them must try again,
      // not be handed this failure.
      inFlight.remove(diffId, mine);
      mine.completeExceptionally(t);
      throw t;
    }
    inFlight.remove(diffId, mine);
    mine.complete(dir);
    return dir;
  }

  private void unpack(Digest diffId, LayerBlob layer, BlobOpener blob, Path dir)
      throws IOException {
    try (InputStream in = blob.open()) {
      unpacker.unpack(in, layer, dir, diffId);
    } catch (FileAlreadyExistsException e) {
      if (!isUnpacked(diffId)) {
        throw e;
      }
      // Unpacked by someone outside this store meanwhile: theirs is as good as ours.
    }
  }

  private static Path await(CompletableFuture<Path> running) throws IOException {
    try {
      return running.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted =
          new InterruptedIOException("interrupted while waiting for a layer unpack");
      interrupted.initCause(e);
      throw interrupted;
    } catch (ExecutionException e) {
      // The unpacking caller's own exception, so every caller sees the same type and message.
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException rt) {
        throw rt;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IOException(cause);
    }
  }

  /**
   * Removes layer {@code diffId} (for GC). It is first renamed to a work directory, so a layer
   * never looks unpacked while half removed. The caller makes sure nobody uses it.
   *
   * @return whether it was there
   */
  public boolean delete(Digest diffId) throws IOException {
    Path dir = dir(diffId);
    Path doomed = root.resolve(LayerUnpacker.TEMP_PREFIX + "delete-" + diffId.encoded() + "-"
        + Long.toUnsignedString(System.nanoTime()));
    try {
      Posix.renameat2(dir, doomed, Posix.RENAME_NOREPLACE);
    } catch (NoSuchFileException e) {
      return false;
    }
    FileTrees.deleteRecursively(doomed);
    return true;
  }

  /**
   * Bytes the layer's directory takes on disk (allocated blocks, as {@code du} counts them),
   * counting a hard-linked inode once; 0 if the layer is not unpacked.
   */
  public long diskBytes(Digest diffId) throws IOException {
    return isUnpacked(diffId) ? FileTrees.diskBytes(dir(diffId)) : 0;
  }

  @Override
  public String toString() {
    return "LayerStore[" + root + "]";
  }
}
