package org.refcache.cli;

import java.util.concurrent.Callable;
import org.refcache.daemon.Daemon;
import org.refcache.daemon.DaemonConfig;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code refcache daemon}: runs the service in the foreground until SIGTERM. */
@Command(name = "daemon", description = "Run the service in the foreground: mount every ref under "
    + "<mountpoint>/refs and serve the control socket. Ready (sd_notify) once the mount answers; SIGTERM unmounts, "
    + "closes the cache and exits 0.")
final class DaemonCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(DaemonCommand.class);

  @Option(names = "--root", paramLabel = "DIR", description = "State root (env REFCACHE_ROOT, default /var/lib/refcache).")
  String root;

  @Option(names = "--mountpoint", paramLabel = "DIR",
      description = "FUSE mountpoint (env REFCACHE_MOUNTPOINT, default <root>/mnt).")
  String mountpoint;

  @Option(names = "--socket", paramLabel = "PATH",
      description = "Control socket (env REFCACHE_SOCKET, default /run/refcache/refcache.sock).")
  String socket;

  private final Terminal terminal;

  DaemonCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() throws InterruptedException {
    DaemonConfig config;
    try {
      config = DaemonConfig.resolve(root, mountpoint, socket, terminal.env());
    } catch (IllegalArgumentException e) {
      terminal.err().println("refcache daemon: " + e.getMessage());
      terminal.err().flush();
      return 2; // a usage error
    }
    try {
      return Daemon.runUntilSignalled(config);
    } catch (Exception e) {
      LOG.error("refcache daemon failed: {}", Printable.line(e.toString()), e);
      terminal.err().println("refcache daemon: " + Printable.line(e.getMessage()));
      terminal.err().flush();
      return 1;
    }
  }
}
