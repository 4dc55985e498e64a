package org.refcache.posix;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.socklen_t;
import jnr.ffi.types.ssize_t;

/**
 * A bound unix datagram socket standing in for systemd's notify socket. Test-only: Java 17 cannot
 * receive unix datagrams, so it binds the few socket calls it needs itself.
 */
final class UnixDatagramReceiver implements AutoCloseable {

  public interface SocketCalls {
    int socket(int domain, int type, int protocol);

    int bind(int fd, @In Library.SockaddrUn addr, @socklen_t int addrlen);

    int setsockopt(int fd, int level, int optname, @In long[] optval, @socklen_t int optlen);

    @ssize_t long recv(int fd, @Out byte[] buf, @size_t long len, int flags);

    int close(int fd);
  }

  private static final class Holder {
    static final SocketCalls CALLS = LibraryLoader.create(SocketCalls.class).failImmediately()
        .load(Platform.getNativePlatform().getStandardCLibraryName());
  }

  private static final int SOCK_DGRAM = 2;
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVTIMEO = 20;

  private final int fd;

  /** Binds {@code address}: a path, or an abstract name starting with '@'. */
  UnixDatagramReceiver(String address) throws IOException {
    fd = Holder.CALLS.socket(Library.SockaddrUn.AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) {
      throw ErrnoMapper.toException("socket", Posix.errno(), address, null);
    }
    Library.SockaddrUn sockaddr = new Library.SockaddrUn(Library.RUNTIME);
    int length = sockaddr.setAddress(address);
    // A lost datagram must fail the test, not hang it: struct timeval {5 s, 0 us}.
    if (Holder.CALLS.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new long[] {5, 0}, 16) != 0
        || Holder.CALLS.bind(fd, sockaddr, length) != 0) {
      IOException failure = ErrnoMapper.toException("bind", Posix.errno(), address, null);
      Holder.CALLS.close(fd);
      throw failure;
    }
  }

  /** The next datagram as UTF-8 text; fails after 5 seconds without one. */
  String receive() throws IOException {
    byte[] buf = new byte[4096];
    long n = Holder.CALLS.recv(fd, buf, buf.length, 0);
    if (n < 0) {
      int errno = Posix.errno();
      if (errno == Errno.EAGAIN) {
        throw new SocketTimeoutException("no datagram within 5 s");
      }
      throw ErrnoMapper.toException("recv", errno, null, null);
    }
    return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    Holder.CALLS.close(fd);
  }
}
