package org.refcache.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.refcache.fuse.MountPrivileges;

/**
 * What the service holds, as persisted in {@code <root>/service.json} so that a restart re-acquires it:
 * the immutable and mutable refs it keeps for its clients and the bind mounts it made.
 *
 * @param version the file format, {@link #FORMAT}
 * @param immutables IDs of immutable refs held until {@code release}
 * @param mutables IDs of mutable refs held until {@code commit} or {@code release}
 * @param mounts bind mounts made by {@code refcache mount}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ServiceState(int version, List<String> immutables, List<String> mutables, List<BindMount> mounts) {
  /** The current file format. */
  public static final int FORMAT = 1;
  /** The file name under the state root. */
  public static final String FILE = "service.json";

  /** Nothing held. */
  public static final ServiceState EMPTY = new ServiceState(FORMAT, List.of(), List.of(), List.of());

  public ServiceState {
    immutables = immutables == null ? List.of() : List.copyOf(immutables);
    mutables = mutables == null ? List.of() : List.copyOf(mutables);
    mounts = mounts == null ? List.of() : List.copyOf(mounts);
  }

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
   * over the old one, then the directory fsynced; a crash leaves either the old or the new state.
   */
  public void save(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    byte[] raw = ControlProtocol.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot replace " + file + " atomically", e);
    }
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}
