package org.refcache.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import org.refcache.fuse.MountPrivileges;
import org.refcache.posix.ErrnoMapper;
import org.refcache.protocol.ControlProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service holds, as persisted in {@code <root>/service.json} so that a restart re-acquires it:
 * the immutable and mutable refs it keeps for its clients, the mutables it committed (whose IDs stand
 * for their twins) and the bind mounts it made. Writing it is the step at which a change to the held
 * set happens (see {@link HeldHandles}).
 *
 * @param version the file format, {@link #FORMAT}
 * @param immutables IDs of immutable refs held until {@code release}
 * @param mutables IDs of mutable refs held until {@code commit} or {@code release}
 * @param mounts bind mounts made by {@code refcache mount}
 * @param committed mutables the service committed, each standing for its twin (absent in files written
 *     before it was kept: nothing stands for anything then)
 * @param written when this state was written (an ISO-8601 instant, stamped by {@link #save}), by the
 *     clock records are stamped with; absent in files written before it was kept
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ServiceState(int version, List<String> immutables, List<String> mutables, List<BindMount> mounts,
    List<Committed> committed, String written) {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceState.class);
  /** The current file format. */
  public static final int FORMAT = 1;
  /** The file name under the state root. */
  public static final String FILE = "service.json";

  /** Nothing held. */
  public static final ServiceState EMPTY = new ServiceState(FORMAT, List.of(), List.of(), List.of(), List.of());

  /** A state not written yet. */
  public ServiceState(int version, List<String> immutables, List<String> mutables, List<BindMount> mounts,
      List<Committed> committed) {
    this(version, immutables, mutables, mounts, committed, null);
  }

  /**
   * When this state was written, or null for a file from before the stamp was kept. A file's own time
   * will not do: the kernel stamps it from its coarse clock, up to a tick behind the clock records are
   * stamped with, so a record made a moment before the state was written could look made after it.
   */
  public Instant writtenAt() {
    if (written == null) {
      return null;
    }
    try {
      return Instant.parse(written);
    } catch (java.time.format.DateTimeParseException e) {
      return null; // an edited file: its file time stands in, as for files without a stamp
    }
  }

  public ServiceState {
    immutables = immutables == null ? List.of() : List.copyOf(immutables);
    mutables = mutables == null ? List.of() : List.copyOf(mutables);
    mounts = mounts == null ? List.of() : List.copyOf(mounts);
    committed = committed == null ? List.of() : List.copyOf(committed);
  }

  /**
   * A mutable the service committed: its ID stands for the twin until the twin goes.
   *
   * @param mutable the mutable's ID (its record is gone once the commit is finalized)
   * @param twin the immutable twin's ID
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Committed(String mutable, String twin) {}

  /**
   * One bind mount of {@code <mountpoint>/refs/<id>} onto {@code dir}.
   *
   * @param dir the absolute target directory
   * @param id the ref whose tree is mounted
   * @param readOnly whether the bind is read-only
   * @param setuid whether setuid bits take effect through it ({@code refcache mount --suid}); absent in
   *     files written before it existed, which reads as false: {@code nosuid}
   * @param devices whether device nodes can be opened through it ({@code --dev}); absent reads as false
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record BindMount(String dir, String id, boolean readOnly, boolean setuid, boolean devices) {
    /** What {@code setuid} and {@code devices} grant. */
    public MountPrivileges privileges() {
      return new MountPrivileges(setuid, devices);
    }
  }

  /** The state stored at {@code file}, or {@link #EMPTY} when there is none. */
  public static ServiceState load(Path file) throws IOException {
    try {
      byte[] raw = Files.readAllBytes(file);
      ServiceState s = ControlProtocol.JSON.readValue(raw, ServiceState.class);
      if (s.version() > FORMAT) {
        throw new IOException(file + " has format " + s.version() + ", newer than this refcache (" + FORMAT + ")");
      }
      return s;
    } catch (NoSuchFileException e) {
      return EMPTY;
    }
  }

  /**
   * Writes this state to {@code file} atomically: a temporary file in the same directory, fsynced, renamed
   * over the old one, then the directory fsynced; a crash leaves either the old or the new state. When it
   * fails before the rename, the old state stands and the temporary file is removed. The rename is the
   * step that counts: a failing fsync of the directory after it is logged, not thrown, because the new
   * state is in place (only a power cut before the kernel writes the directory could bring the old back).
   */
  public void save(Path file) throws IOException {
    Path tmp = temporaryOf(file);
    ServiceState stamped = new ServiceState(version, immutables, mutables, mounts, committed,
        Instant.now().toString());
    byte[] raw = ControlProtocol.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stamped);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      removeQuietly(tmp, e);
      if (e instanceof AtomicMoveNotSupportedException) {
        throw new IOException("cannot replace " + file + " atomically", e);
      }
      throw new IOException("cannot write the service's state to " + file + ": " + reason(e), e);
    }
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      LOG.error("{} is written but its directory could not be flushed ({}): a power cut may bring back the"
          + " state before it", file, e.toString());
    }
  }

  /** The temporary file a write of {@code file} goes through, next to it. */
  static Path temporaryOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".tmp");
  }

  /**
   * Removes the temporary file of a save that a crash (or kill -9) cut short; the state in {@code file}
   * is then the last complete save. Only the service that holds the state root may call this, since
   * another one's save may be in progress.
   */
  public static void discardUnfinishedSave(Path file) throws IOException {
    Path tmp = temporaryOf(file);
    if (Files.deleteIfExists(tmp)) {
      LOG.info("removed {}, left by a save that did not finish", tmp);
    }
  }

  private static void removeQuietly(Path tmp, IOException cause) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
  }

  /** The system's words for why ({@code No space left on device}), without the path repeated. */
  private static String reason(IOException e) {
    if (e instanceof FileSystemException f) {
      // The JDK's typed ones (NoSuchFileException...) carry no reason: the errno's description.
      return f.getReason() != null ? f.getReason() : ErrnoMapper.description(ErrnoMapper.toErrno(f));
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}
