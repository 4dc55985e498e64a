package org.refcache.fuse.libfuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.refcache.fuse.FuseOptions;
import org.refcache.fuse.LibfuseLoop;
import org.refcache.fuse.ViewOperations;
import org.refcache.posix.Errno;
import org.refcache.posix.Mounting;
import org.refcache.posix.NativeException;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The libfuse 2.9 transport of one mount: jnr-fuse's multi-threaded loop over
 * {@link LibfuseFileSystem}, in blocking mode on the caller's thread (jnr-fuse's non-blocking
 * mount waits a fixed two seconds and then assumes success; {@code FuseMount} waits for the view
 * to answer instead). Loaded by {@code FuseMount} by name, with this constructor, only when the
 * transport is chosen.
 */
public final class LibfuseTransport implements LibfuseLoop {

  private static final Logger LOG = LoggerFactory.getLogger(LibfuseTransport.class);

  private final LibfuseFileSystem fileSystem;
  private final Path mountpoint;
  private final FuseOptions options;
  private final String[] args;

  /** Loads libfuse 2.9 (through jnr-fuse); nothing is mounted until {@link #run}. */
  public LibfuseTransport(ViewOperations view, Path mountpoint, FuseOptions options) {
    this.fileSystem = new LibfuseFileSystem(view);
    this.mountpoint = mountpoint;
    this.options = options;
    this.args = options.toFuseArgs().toArray(String[]::new);
  }

  @Override
  public void run() {
    fileSystem.mount(mountpoint, true, options.debug(), args);
  }

  @Override
  public String arguments() {
    return String.join(" ", args);
  }

  @Override
  public void markUnmounted() {
    fileSystem.markUnmounted();
  }

  /** {@code umount2}; busy: detached lazily; not root: {@code fusermount -u}. */
  @Override
  public void unmount() {
    try {
      Mounting.umount(mountpoint, 0);
    } catch (IOException e) {
      unmountAfter(e);
    }
  }

  private void unmountAfter(IOException failure) {
    int errno = failure instanceof NativeException n ? n.errno()
        : failure instanceof java.nio.file.AccessDeniedException ? Errno.EPERM : Errno.EIO;
    try {
      switch (errno) {
        case Errno.EINVAL -> LOG.debug("{} was no longer mounted", Printable.text(mountpoint.toString()));
        case Errno.EBUSY -> {
          LOG.warn("{} is busy: detaching it lazily", Printable.text(mountpoint.toString()));
          Mounting.umount(mountpoint, Mounting.MNT_DETACH);
        }
        default -> fusermountUnmount(failure);
      }
    } catch (IOException e) {
      LOG.warn("cannot unmount {}: {}", Printable.text(mountpoint.toString()), Printable.line(e.toString()));
    }
  }

  private void fusermountUnmount(IOException cause) throws IOException {
    LOG.debug("umount2 of {} failed ({}), trying fusermount", Printable.text(mountpoint.toString()),
        Printable.line(cause.toString()));
    Process process = new ProcessBuilder("fusermount", "-u", "-z", mountpoint.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      if (!process.waitFor(options.unmountTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("fusermount -u " + mountpoint + " did not finish", cause);
      }
      if (process.exitValue() != 0) {
        throw new IOException("fusermount -u " + mountpoint + " failed", cause);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while unmounting " + mountpoint);
    }
  }
}
