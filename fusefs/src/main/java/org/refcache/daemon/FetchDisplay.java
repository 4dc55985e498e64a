package org.refcache.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.OciDescriptor;
import org.refcache.core.remote.TransferListener;
import org.refcache.protocol.Quantities;

/**
 * Shows the service's own blob transfers (the lazy fetches a read through the mount causes, and those
 * of an eager pull whose client has gone) on the service's stderr when it is a terminal: a foreground
 * {@code refcache daemon} shows, per layer, one line as it begins, one a second while it moves (bytes,
 * size, rate) and one when it ends. Whole lines, not a line redrawn in place, since the service's log
 * writes to the same terminal from other threads. Under systemd, or with stderr redirected, it shows
 * nothing: the log already has each fetch with its size and time.
 */
final class FetchDisplay implements TransferListener {
  /** One progress line per blob at most this often. */
  static final long INTERVAL_NANOS = 1_000_000_000L;

  private final PrintStream out;
  private final long intervalNanos;
  /** Per blob digest: [start time, time of the last line, bytes at start]. */
  private final Map<String, long[]> moving = new ConcurrentHashMap<>();

  FetchDisplay(PrintStream out, long intervalNanos) {
    this.out = out;
    this.intervalNanos = intervalNanos;
  }

  /** A display on this process's stderr if that is a terminal, else one that shows nothing. */
  static TransferListener onStderr() {
    return isTerminal(Path.of("/proc/self/fd/2")) ? new FetchDisplay(System.err, INTERVAL_NANOS) : NONE;
  }

  /** Whether the file descriptor behind {@code fdLink} (a /proc/PID/fd entry) is a terminal. */
  static boolean isTerminal(Path fdLink) {
    try {
      return isTerminalDevice(Files.readSymbolicLink(fdLink).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** Whether {@code device} names a terminal: a pseudo-terminal, a virtual console or a serial line. */
  static boolean isTerminalDevice(String device) {
    return device.startsWith("/dev/pts/") || device.matches("/dev/tty[A-Za-z]*[0-9]*") || device.equals("/dev/console");
  }

  @Override
  public void started(ImageReference image, OciDescriptor blob, long offset) {
    long now = System.nanoTime();
    moving.put(blob.digest().toString(), new long[] {now, now, offset});
    line("fetching", image, blob, offset > 0 ? Quantities.humanBytes(offset) + " / "
        + Quantities.humanBytes(blob.size()) + " (resumed)" : Quantities.humanBytes(blob.size()));
  }

  @Override
  public void progressed(ImageReference image, OciDescriptor blob, long bytesDone) {
    long[] t = moving.get(blob.digest().toString());
    long now = System.nanoTime();
    if (t == null || now - t[1] < intervalNanos) {
      return;
    }
    t[1] = now;
    line("fetching", image, blob, Quantities.humanBytes(bytesDone) + " / " + Quantities.humanBytes(blob.size())
        + ", " + rate(bytesDone - t[2], now - t[0]));
  }

  @Override
  public void resumed(ImageReference image, OciDescriptor blob, long atByte, IOException cause) {
    line("broken", image, blob, "at " + Quantities.humanBytes(atByte) + " (" + cause.getMessage() + "); resuming");
  }

  @Override
  public void finished(ImageReference image, OciDescriptor blob) {
    long[] t = moving.remove(blob.digest().toString());
    if (t == null) {
      line("fetched", image, blob, Quantities.humanBytes(blob.size()));
      return;
    }
    long nanos = System.nanoTime() - t[0];
    line("fetched", image, blob, Quantities.humanBytes(blob.size()) + " in " + nanos / 1_000_000 + " ms, "
        + rate(blob.size() - t[2], nanos));
  }

  private void line(String what, ImageReference image, OciDescriptor blob, String detail) {
    out.println("refcache: " + what + " " + shortDigest(blob) + " of " + shown(image) + ": " + detail);
    out.flush();
  }

  /** The image by name and tag when it has one: a lazy ref's source also names its manifest's digest. */
  private static String shown(ImageReference image) {
    return image.tag() != null ? image.name() + ":" + image.tag() : image.toString();
  }

  private static String rate(long bytes, long nanos) {
    return Quantities.humanBytes((long) (bytes / Math.max(1e-3, nanos / 1e9))) + "/s";
  }

  private static String shortDigest(OciDescriptor blob) {
    String d = blob.digest().toString();
    int colon = d.indexOf(':');
    String hex = colon < 0 ? d : d.substring(colon + 1);
    return hex.length() > 12 ? hex.substring(0, 12) : hex;
  }
}
