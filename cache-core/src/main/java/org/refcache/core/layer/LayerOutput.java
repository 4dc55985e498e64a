package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

/**
 * Where {@link LayerApplier} puts what the entries of a layer become, path by path (paths are
 * relative to the layer's root, {@code ""} being the root itself, and byte strings). The applier
 * makes every decision (and every refusal) itself, from what it has applied so far, never from
 * what is on disk; so applying a layer to {@link #NONE} checks it completely, exactly as unpacking
 * it would, without writing anything.
 */
interface LayerOutput {
  /** Writes nothing: what an import uses to check a layer while it stores the blob. */
  LayerOutput NONE = new LayerOutput() {
    @Override
    public void mkdir(String rel) {
    }

    @Override
    public void chmod(String rel, int mode) {
    }

    @Override
    public void lchown(String rel, int uid, int gid) {
    }

    @Override
    public void writeFile(String rel, InputStream content) {
      // The tar skips the content when it moves to the next entry: it reads it all the same.
    }

    @Override
    public void symlink(String rel, String target) {
    }

    @Override
    public void mknod(String rel, int mode, long device) {
    }

    @Override
    public void mkfifo(String rel, int mode) {
    }

    @Override
    public void link(String existingRel, String rel) {
    }

    @Override
    public void markOpaque(String rel) {
    }

    @Override
    public void createWhiteout(String rel) {
    }

    @Override
    public void delete(String rel, boolean directory) {
    }

    @Override
    public void setXattr(String rel, String name, byte[] value) {
    }

    @Override
    public void setTimes(String rel, Instant atime, Instant mtime) {
    }

    @Override
    public void sync() {
    }
  };

  /** Creates directory {@code rel} (mode 0700 until its metadata comes). */
  void mkdir(String rel) throws IOException;

  void chmod(String rel, int mode) throws IOException;

  /** Changes the owner of {@code rel} itself (not what a symlink points at). */
  void lchown(String rel, int uid, int gid) throws IOException;

  /** Creates the regular file {@code rel} (it does not exist) with {@code content}. */
  void writeFile(String rel, InputStream content) throws IOException;

  void symlink(String rel, String target) throws IOException;

  /** Creates a device node; {@code mode} has the file type bits. */
  void mknod(String rel, int mode, long device) throws IOException;

  void mkfifo(String rel, int mode) throws IOException;

  /** Makes {@code rel} a hard link to {@code existingRel}. */
  void link(String existingRel, String rel) throws IOException;

  /** Makes directory {@code rel} opaque ({@link OverlayFormat#markOpaque}). */
  void markOpaque(String rel) throws IOException;

  /** Creates a whiteout at {@code rel} ({@link OverlayFormat#createWhiteout}). */
  void createWhiteout(String rel) throws IOException;

  /** Removes {@code rel}, a whole tree if it is a {@code directory}, following no link. */
  void delete(String rel, boolean directory) throws IOException;

  /** Sets an extended attribute of {@code rel} itself. */
  void setXattr(String rel, String name, byte[] value) throws IOException;

  /** Sets the times of {@code rel} itself, to the nanosecond. */
  void setTimes(String rel, Instant atime, Instant mtime) throws IOException;

  /** Flushes everything written to disk. */
  void sync() throws IOException;
}
