package org.refcache.core.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.DiffIdMismatchException;
import org.refcache.core.layer.LayerFormatException;
import org.refcache.core.layer.LayerLimitException;
import org.refcache.core.layer.UnsafeLayerEntryException;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed unpacks of layer blobs, remembered so that a layer that cannot be unpacked is not read
 * again on every access that needs it (a gzip bomb with a bad entry at its end would cost its whole
 * size per {@code stat}). A failure is kept with the blob's info in the content store (the label
 * {@value #LABEL}, one LMDB write), shown by {@code refcache info}, and answered at once until its
 * cause can have changed:
 *
 * <ul>
 *   <li>the layer is malformed or unsafe, or its diffID is wrong ({@link Kind#LAYER}): until the
 *       blob is stored again (a new fetch after it was removed, or an import of the same bytes);
 *       a restart does not change the bytes, so it holds across restarts;</li>
 *   <li>the layer is over a limit ({@link Kind#LIMIT}), or anything else failed, such as reading
 *       the blob ({@link Kind#OTHER}): also until the service restarts, which is how limits change
 *       and how an operator says the cause is fixed;</li>
 *   <li>the disk was full ({@link Kind#SPACE}: ENOSPC, EDQUOT): also until the filesystem of the
 *       layers has more free space than after the failure.</li>
 * </ul>
 *
 * An interrupted unpack (the service stopping) is not recorded.
 */
final class UnpackFailures {
  /** The content label that holds a blob's failure, as JSON. */
  static final String LABEL = "refcache.unpack-failure";

  private static final Logger LOG = LoggerFactory.getLogger(UnpackFailures.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Free space that comes and goes by this much is noise, not room for a layer. */
  private static final long SPACE_MARGIN = 1 << 20;

  /** Why an unpack failed, which decides how long the failure holds. */
  enum Kind { LAYER, LIMIT, SPACE, OTHER }

  /**
   * One failure as stored.
   *
   * @param message   why, naming the layer, the ref and what in the layer failed
   * @param errno     what an access answers
   * @param kind      what kind of failure
   * @param instance  the service instance that saw it (it holds only in that one unless
   *                  {@link Kind#LAYER})
   * @param freeBytes bytes free for layers right after the failure ({@link Kind#SPACE})
   * @param at        when (ISO-8601)
   */
  record Failure(String message, int errno, Kind kind, String instance, long freeBytes,
                 String at) {
  }

  private final ContentStore content;
  private final Path layersRoot;
  private final Clock clock;
  /** Tells this service instance from earlier ones: failures that a restart clears. */
  private final String instance = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));

  UnpackFailures(ContentStore content, Path layersRoot, Clock clock) {
    this.content = content;
    this.layersRoot = layersRoot;
    this.clock = clock;
  }

  /** The failure of {@code blob} that still holds, if any. */
  Optional<Failure> active(Digest blob) {
    Optional<Failure> stored = stored(blob);
    if (stored.isEmpty()) {
      return stored;
    }
    Failure f = stored.get();
    boolean holds = switch (f.kind()) {
      case LAYER -> true;
      case LIMIT, OTHER -> instance.equals(f.instance());
      case SPACE -> instance.equals(f.instance()) && freeBytes() - SPACE_MARGIN <= f.freeBytes();
    };
    return holds ? stored : Optional.empty();
  }

  /** The failure stored for {@code blob}, whether or not it still holds. */
  private Optional<Failure> stored(Digest blob) {
    String json;
    try {
      json = content.info(blob).map(ContentInfo::labels).map(l -> l.get(LABEL)).orElse(null);
    } catch (IOException e) {
      LOG.warn("cannot read the unpack record of {}: {}", blob, e.toString());
      return Optional.empty();
    }
    if (json == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(json, Failure.class));
    } catch (JsonProcessingException e) {
      LOG.warn("ignoring an unreadable unpack record of {}: {}", blob, json);
      return Optional.empty();
    }
  }

  /**
   * Records that unpacking {@code blob} failed with {@code cause}, explained by {@code message}.
   *
   * @return the exception to throw, with the errno an access answers
   */
  LayerUnpackException record(Digest blob, String message, Throwable cause) {
    if (cause instanceof InterruptedIOException || cause instanceof ClosedByInterruptException) {
      return new LayerUnpackException(message, Errno.EINTR, cause);
    }
    Kind kind = kindOf(cause);
    int errno = kind == Kind.SPACE ? ErrnoMapper.toErrno(cause) : Errno.EIO;
    Failure f = new Failure(message, errno, kind, instance, kind == Kind.SPACE ? freeBytes() : 0,
        clock.instant().toString());
    try {
      Map<String, String> label = new HashMap<>();
      label.put(LABEL, JSON.writeValueAsString(f));
      content.updateLabels(blob, label);
    } catch (IOException | RuntimeException e) {
      // Not remembered: the next access tries again, which is what happened before.
      LOG.warn("cannot record the unpack failure of {}: {}", blob, e.toString());
    }
    return new LayerUnpackException(message, errno, cause);
  }

  /** Drops the failure of {@code blob}, if it has one. */
  void forget(Digest blob) throws IOException {
    if (stored(blob).isPresent()) {
      Map<String, String> label = new HashMap<>();
      label.put(LABEL, null); // a null value removes the label
      content.updateLabels(blob, label);
      LOG.info("forgot the unpack failure of {}: it was stored again", blob);
    }
  }

  /** The exception for an access refused by the recorded failure {@code f}. */
  static LayerUnpackException refusal(Failure f) {
    return new LayerUnpackException(f.message() + " (failed at " + f.at() + "; " + retry(f) + ")",
        f.errno(), null);
  }

  /** What {@code refcache info} shows of {@code f}. */
  static String describe(Failure f) {
    return f.message() + " (at " + f.at() + "; " + retry(f) + ")";
  }

  private static String retry(Failure f) {
    return switch (f.kind()) {
      case LAYER -> "not tried again unless the blob is fetched or imported again";
      case LIMIT, OTHER -> "not tried again before the service restarts";
      case SPACE -> "tried again once the disk has more free space";
    };
  }


  private static Kind kindOf(Throwable cause) {
    if (cause instanceof LayerLimitException) {
      return Kind.LIMIT;
    }
    if (cause instanceof LayerFormatException || cause instanceof UnsafeLayerEntryException
        || cause instanceof DiffIdMismatchException) {
      return Kind.LAYER;
    }
    int errno = ErrnoMapper.toErrno(cause);
    return errno == Errno.ENOSPC || errno == Errno.EDQUOT ? Kind.SPACE : Kind.OTHER;
  }

  private long freeBytes() {
    try {
      return Posix.statvfs(layersRoot).availableBytes();
    } catch (IOException e) {
      return Long.MAX_VALUE; // unknown: do not let a stale SPACE failure hold
    }
  }
}
