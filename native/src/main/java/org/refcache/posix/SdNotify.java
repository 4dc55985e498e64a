package org.refcache.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * systemd's {@code sd_notify(3)} protocol: one datagram with {@code KEY=VALUE} lines sent to the
 * unix socket named by {@code $NOTIFY_SOCKET}, for {@code Type=notify} services
 * ({@code "READY=1"}, {@code "STOPPING=1"}, {@code "STATUS=..."}).
 *
 * <p>Sent with jnr-ffi {@code socket(AF_UNIX, SOCK_DGRAM)}/{@code sendto}: on Java 17
 * {@code DatagramChannel.open(StandardProtocolFamily.UNIX)} throws
 * {@code UnsupportedOperationException} (unix datagrams arrive in the JDK only later).
 */
public final class SdNotify {

  /** The environment variable systemd sets for a {@code Type=notify} service. */
  public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 02000000;
  /** A vanished receiver must not kill the JVM with SIGPIPE. */
  private static final int MSG_NOSIGNAL = 0x4000;

  private SdNotify() {
  }

  /**
   * Sends {@code state} to {@code $NOTIFY_SOCKET}.
   *
   * @return false when the variable is unset (not started by systemd): nothing was sent
   */
  public static boolean notify(String state) throws IOException {
    return notify(System.getenv(NOTIFY_SOCKET), state);
  }

  /**
   * Sends {@code state} to the unix datagram socket {@code socketPath}: a filesystem path, or an
   * abstract name written with a leading {@code '@'}.
   *
   * @return false when {@code socketPath} is null or empty: nothing was sent
   * @throws IllegalArgumentException if {@code socketPath} is neither a path nor an abstract name
   */
  public static boolean notify(String socketPath, String state) throws IOException {
    if (socketPath == null || socketPath.isEmpty()) {
      return false;
    }
    if (socketPath.charAt(0) != '/' && socketPath.charAt(0) != '@') {
      throw new IllegalArgumentException("$" + NOTIFY_SOCKET + " is neither an absolute path nor"
          + " an abstract socket name (@...): " + socketPath);
    }
    Library.LibC libc = Library.LIBC;
    Library.SockaddrUn address = new Library.SockaddrUn(Library.RUNTIME);
    int addressLength = address.setAddress(socketPath);
    byte[] message = state.getBytes(StandardCharsets.UTF_8);

    int fd = libc.socket(Library.SockaddrUn.AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw ErrnoMapper.toException("socket(AF_UNIX, SOCK_DGRAM)", Posix.errno(), null, null);
    }
    try {
      long sent = libc.sendto(fd, message, message.length, MSG_NOSIGNAL, address, addressLength);
      if (sent < 0) {
        throw ErrnoMapper.toException("sendto", Posix.errno(), socketPath, null);
      }
      if (sent != message.length) {
        // A datagram is sent whole or not at all; anything else is a kernel surprise worth a stop.
        throw new IOException("sendto " + socketPath + ": sent " + sent + " of " + message.length
            + " bytes");
      }
      return true;
    } finally {
      libc.close(fd);
    }
  }
}
