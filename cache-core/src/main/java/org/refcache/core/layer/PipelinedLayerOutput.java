package org.refcache.core.layer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LayerOutput} that hands every operation to a thread of its own, which applies them to
 * another output in the order they came: the unpacking thread reads, hashes and parses the layer
 * while this one makes the files, so the two halves of an unpack run on two cores instead of
 * taking turns on one (the file system calls of an unpack cost about as much CPU as everything
 * else). Nothing changes about what is made or in which order: one writer, first in first out, and
 * {@link LayerApplier} decides everything from its own records, never from what is on disk.
 *
 * <p>A file's content is copied out of the tar before the tar moves on, in chunks that count
 * against a bound on the bytes queued ({@code maxQueuedBytes}), so a layer of large files holds a
 * few MiB, not the file. The first operation that fails stops the writer: the operations after it
 * are dropped, and the failure (the same exception) is thrown to the unpacking thread by its next
 * call, or by {@link #sync} or {@link #finish}. Nothing is on disk for sure until {@link #finish}
 * (or {@link #sync}) returned; after any failure the caller calls {@link #close}, which drops what
 * is queued and waits for the writer to stop, so that nothing writes into the tree once the
 * caller deletes it.
 *
 * <p>Used by one unpacking thread; not for concurrent callers.
 */
final class PipelinedLayerOutput implements LayerOutput, AutoCloseable {
  /** Bytes of file content copied per chunk. */
  static final int CHUNK = 64 * 1024;
  /**
   * Operations handed over together: one hand-over per operation (most are a system call of a few
   * microseconds) would wake the other thread about 100 000 times for a package tree.
   */
  private static final int BATCH = 64;
  /** Batches queued at most. */
  private static final int MAX_QUEUED_BATCHES = 64;
  /** How long the unpacking thread waits for room before it looks for a failure again. */
  private static final long WAIT_STEP_MILLIS = 10;

  /** One call of the output, applied by the writer thread. */
  @FunctionalInterface
  private interface Operation {
    void applyTo(LayerOutput out) throws IOException;
  }

  /** Queued after the last operation: the writer stops when it takes it. */
  private static final Operation END = out -> { };

  private final LayerOutput target;
  private final BlockingQueue<List<Operation>> queue = new ArrayBlockingQueue<>(MAX_QUEUED_BATCHES);
  /** Operations not handed over yet. */
  private List<Operation> batch = new ArrayList<>(BATCH);
  /** One permit per byte of file content queued and not written yet. */
  private final Semaphore queuedBytes;
  private final int maxQueuedBytes;
  private final Thread writer;
  private final byte[] scratch = new byte[CHUNK];
  /** The first failure of the writer; once set, the writer only drops what it takes. */
  private volatile Throwable failure;
  private boolean ended;

  /**
   * Starts the writer thread, named {@code name}, applying to {@code target}.
   *
   * @param maxQueuedBytes file content queued at most (at least one {@link #CHUNK})
   */
  PipelinedLayerOutput(LayerOutput target, int maxQueuedBytes, String name) {
    this.target = Objects.requireNonNull(target, "target");
    if (maxQueuedBytes < CHUNK) {
      throw new IllegalArgumentException("maxQueuedBytes " + maxQueuedBytes + " < " + CHUNK);
    }
    this.maxQueuedBytes = maxQueuedBytes;
    this.queuedBytes = new Semaphore(maxQueuedBytes);
    this.writer = new Thread(this::run, name);
    writer.setDaemon(true);
    writer.start();
  }

  private void run() {
    while (true) {
      List<Operation> ops;
      try {
        ops = queue.take();
      } catch (InterruptedException e) {
        continue; // nothing interrupts this thread; END is what stops it
      }
      for (Operation op : ops) {
        if (op == END) {
          return;
        }
        if (failure != null) {
          continue; // dropped: the caller learns of the failure at its next call
        }
        try {
          op.applyTo(target);
        } catch (Throwable t) {
          failed(t);
        }
      }
    }
  }

  private synchronized void failed(Throwable t) {
    if (failure == null) {
      failure = t;
    }
  }

  /** Queues {@code op}, after throwing the writer's failure if there is one. */
  private void submit(Operation op) throws IOException {
    checkFailure();
    if (ended) {
      throw new IllegalStateException("the layer output is finished");
    }
    batch.add(op);
    if (batch.size() >= BATCH) {
      handOver();
    }
  }

  /** Hands the operations not handed over yet to the writer. */
  private void handOver() throws IOException {
    if (batch.isEmpty()) {
      return;
    }
    try {
      queue.put(batch);
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
    batch = new ArrayList<>(BATCH);
  }

  /**
   * Takes {@code bytes} of room for file content, handing over what is not yet (it may hold the
   * room being waited for) and waiting in short steps, so that a writer that failed is noticed
   * instead of waited for.
   */
  private void reserve(int bytes) throws IOException {
    if (queuedBytes.tryAcquire(bytes)) {
      return;
    }
    handOver();
    try {
      do {
        checkFailure();
      } while (!queuedBytes.tryAcquire(bytes, WAIT_STEP_MILLIS, TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
  }

  private void checkFailure() throws IOException {
    Throwable t = failure;
    if (t == null) {
      return;
    }
    if (t instanceof IOException io) {
      throw io;
    }
    if (t instanceof RuntimeException rt) {
      throw rt;
    }
    if (t instanceof Error error) {
      throw error;
    }
    throw new IOException(t);
  }

  @Override
  public void mkdir(String rel) throws IOException {
    submit(out -> out.mkdir(rel));
  }

  @Override
  public void chmod(String rel, int mode) throws IOException {
    submit(out -> out.chmod(rel, mode));
  }

  @Override
  public void lchown(String rel, int uid, int gid) throws IOException {
    submit(out -> out.lchown(rel, uid, gid));
  }

  /**
   * Queues the file with its content when it is one chunk or less (most files of a package tree);
   * a larger one is handed over at once and its content copied to its end in chunks the writer
   * takes as it writes: the writer starts on the file while the rest of it is being read.
   */
  @Override
  public void writeFile(String rel, InputStream content) throws IOException {
    int first = content.readNBytes(scratch, 0, CHUNK);
    if (first < CHUNK) {
      byte[] whole = Arrays.copyOf(scratch, first);
      reserve(whole.length);
      submit(out -> {
        try {
          out.writeFile(rel, new ByteArrayInputStream(whole));
        } finally {
          queuedBytes.release(whole.length);
        }
      });
      return;
    }
    FileContent file = new FileContent();
    submit(out -> {
      try {
        out.writeFile(rel, file);
      } catch (Throwable t) {
        failed(t); // before the chunks are given back: the unpacking thread stops adding
        throw t;
      } finally {
        file.release();
      }
    });
    handOver(); // the writer must reach this file to take its chunks
    boolean complete = false;
    try {
      file.add(Arrays.copyOf(scratch, first));
      int n;
      while ((n = content.readNBytes(scratch, 0, CHUNK)) > 0) {
        file.add(Arrays.copyOf(scratch, n));
        if (n < CHUNK) {
          break;
        }
      }
      complete = true;
    } finally {
      file.end(complete);
    }
    checkFailure();
  }

  @Override
  public void symlink(String rel, String target) throws IOException {
    submit(out -> out.symlink(rel, target));
  }

  @Override
  public void mknod(String rel, int mode, long device) throws IOException {
    submit(out -> out.mknod(rel, mode, device));
  }

  @Override
  public void mkfifo(String rel, int mode) throws IOException {
    submit(out -> out.mkfifo(rel, mode));
  }

  @Override
  public void link(String existingRel, String rel) throws IOException {
    submit(out -> out.link(existingRel, rel));
  }

  @Override
  public void markOpaque(String rel) throws IOException {
    submit(out -> out.markOpaque(rel));
  }

  @Override
  public void createWhiteout(String rel) throws IOException {
    submit(out -> out.createWhiteout(rel));
  }

  @Override
  public void delete(String rel, boolean directory) throws IOException {
    submit(out -> out.delete(rel, directory));
  }

  @Override
  public void setXattr(String rel, String name, byte[] value) throws IOException {
    byte[] copy = value.clone();
    submit(out -> out.setXattr(rel, name, copy));
  }

  @Override
  public void setTimes(String rel, Instant atime, Instant mtime) throws IOException {
    submit(out -> out.setTimes(rel, atime, mtime));
  }

  /** Waits until everything queued is applied, then flushes the target to disk. */
  @Override
  public void sync() throws IOException {
    finish();
    target.sync();
  }

  /**
   * Waits until everything queued is applied and stops the writer; throws its failure if it had
   * one. Nothing may be queued after.
   */
  void finish() throws IOException {
    if (!ended) {
      handOver();
      ended = true;
      try {
        queue.put(List.of(END));
        writer.join();
      } catch (InterruptedException e) {
        // Stop the writer before this thread leaves: the caller is about to delete the tree.
        abandon();
        throw interrupted(e);
      }
    }
    checkFailure();
  }

  /**
   * Drops what is queued and waits for the writer to stop (it finishes the operation it is in);
   * nothing is written after this returns. Does nothing after {@link #finish}.
   */
  @Override
  public void close() {
    if (writer.isAlive()) {
      abandon();
    }
    ended = true;
  }

  private void abandon() {
    // Every file's content was ended by writeFile, so the writer never waits for chunks here.
    failed(new InterruptedIOException("the unpack was abandoned"));
    boolean interrupted = false;
    batch.clear();
    while (true) {
      // Drops what the unpacking thread may still have put in between, then ends the writer.
      queue.clear();
      if (queue.offer(List.of(END))) {
        break;
      }
    }
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static InterruptedIOException interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    InterruptedIOException io = new InterruptedIOException("interrupted while unpacking a layer");
    io.initCause(e);
    return io;
  }

  /**
   * The content of one file as the writer reads it: chunks the unpacking thread adds, then an end
   * (complete, or cut short when the unpack failed while reading it, which fails the write).
   */
  private final class FileContent extends InputStream {
    private static final byte[] COMPLETE = new byte[0];
    private static final byte[] CUT_SHORT = new byte[0];

    private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(maxQueuedBytes / CHUNK + 2);
    private byte[] current;
    private int position;
    /** Permits this file holds: bytes added and not yet read by the writer. */
    private long held;
    private boolean done;
    /** Set by the writer when it is done with the file; guarded by this. */
    private boolean released;

    /**
     * Called by the unpacking thread. Waits for room in short steps, so that a writer that failed
     * (and will take no more chunks) is noticed instead of waited for.
     */
    void add(byte[] chunk) throws IOException {
      reserve(chunk.length);
      try {
        synchronized (this) {
          if (released) {
            queuedBytes.release(chunk.length);
            checkFailure();
            throw new IllegalStateException("the writer is done with this file");
          }
          held += chunk.length;
        }
        while (!chunks.offer(chunk, WAIT_STEP_MILLIS, TimeUnit.MILLISECONDS)) {
          checkFailure();
        }
      } catch (InterruptedException e) {
        throw interrupted(e);
      }
    }

    /** Called by the unpacking thread, or by {@link #abandon}; the first call counts. */
    void end(boolean complete) {
      // Never blocks: the queue has room for an end beyond the chunks the permits allow.
      chunks.offer(complete ? COMPLETE : CUT_SHORT);
    }

    /** Called by the writer when it is done with the file: gives back what it did not read. */
    synchronized void release() {
      released = true;
      queuedBytes.release((int) held);
      held = 0;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (current == null || position == current.length) {
        if (done) {
          return -1;
        }
        if (current != null) {
          synchronized (this) {
            held -= current.length;
          }
          queuedBytes.release(current.length);
          current = null;
        }
        byte[] next;
        try {
          next = chunks.take();
        } catch (InterruptedException e) {
          throw interrupted(e);
        }
        if (next == CUT_SHORT) {
          done = true;
          throw new InterruptedIOException("the unpack stopped while reading the file");
        }
        if (next == COMPLETE) {
          done = true;
          return -1;
        }
        current = next;
        position = 0;
      }
      int n = Math.min(len, current.length - position);
      System.arraycopy(current, position, b, off, n);
      position += n;
      return n;
    }
  }
}
