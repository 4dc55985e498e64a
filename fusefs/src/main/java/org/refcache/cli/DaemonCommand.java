package org.refcache.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import org.refcache.daemon.Daemon;
import org.refcache.daemon.DaemonConfig;
import org.refcache.daemon.GcPolicy;
import org.refcache.daemon.LayerLimitSettings;
import org.refcache.daemon.StateRootInUseException;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code refcache daemon}: runs the service in the foreground until SIGTERM. */
@Command(name = "daemon", description = "Run the service in the foreground: mount every ref under "
    + "<mountpoint>/refs and serve the control socket. Ready (sd_notify) once the mount answers; SIGTERM unmounts, "
    + "closes the cache and exits 0. Exits 4 when another daemon runs on the same state root.")
final class DaemonCommand implements Callable<Integer> {
  @Option(names = "--root", paramLabel = "DIR", description = "State root (env REFCACHE_ROOT, default /var/lib/refcache).")
  String root;

  @Option(names = "--mountpoint", paramLabel = "DIR",
      description = "FUSE mountpoint (env REFCACHE_MOUNTPOINT, default <root>/mnt).")
  String mountpoint;

  @Option(names = "--socket", paramLabel = "PATH",
      description = "Control socket (env REFCACHE_SOCKET, default /run/refcache/refcache.sock).")
  String socket;

  @Option(names = "--suid", description = "Let setuid and setgid programs in refs run with their owner's rights "
      + "through the view (env REFCACHE_VIEW_SUID=1). Off by default (nosuid): anyone who can reach the view "
      + "could run a setuid-root program from a layer as root.")
  boolean suid;

  @Option(names = "--dev", description = "Let device nodes in refs be opened through the view "
      + "(env REFCACHE_VIEW_DEV=1). Off by default (nodev): a device node from a layer opens the device for "
      + "whoever its mode lets in.")
  boolean dev;

  @Option(names = "--max-layer-size", paramLabel = "SIZE", description = "Largest layer, uncompressed, "
      + "and largest total of its files (env REFCACHE_MAX_LAYER_SIZE, default 64G).")
  String maxLayerSize;

  @Option(names = "--max-layer-ratio", paramLabel = "N", description = "Most a layer may expand: "
      + "uncompressed bytes per compressed byte, past 64 MiB (env REFCACHE_MAX_LAYER_RATIO, default 100).")
  String maxLayerRatio;

  @Option(names = "--max-layer-entries", paramLabel = "N",
      description = "Most entries in a layer (env REFCACHE_MAX_LAYER_ENTRIES, default 1000000).")
  String maxLayerEntries;

  @Option(names = "--max-tar-header", paramLabel = "SIZE", description = "Most bytes of tar headers "
      + "(PAX records, GNU long names) before one entry (env REFCACHE_MAX_TAR_HEADER, default 1M).")
  String maxTarHeader;

  @Option(names = "--config", paramLabel = "FILE", description = "Configuration file: the automatic garbage "
      + "collection policy (env REFCACHE_CONFIG, default /etc/refcache/refcache.toml when it exists).")
  String configFile;

  private final Terminal terminal;

  DaemonCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  /** The service's settings from the options given and the environment. */
  DaemonConfig config() throws IOException {
    return DaemonConfig.resolve(root, mountpoint, socket, suid, dev, terminal.env())
        .withLayerLimits(LayerLimitSettings.resolve(maxLayerSize, maxLayerRatio, maxLayerEntries,
            maxTarHeader, terminal.env()))
        .withGcPolicy(GcPolicy.load(DaemonConfig.configFileOf(configFile, terminal.env())));
  }

  @Override
  public Integer call() throws InterruptedException {
    DaemonConfig config;
    try {
      config = config();
    } catch (IOException e) {
      terminal.err().println("refcache daemon: cannot read the configuration: " + e.getMessage());
      terminal.err().flush();
      return 1;
    } catch (IllegalArgumentException e) {
      terminal.err().println("refcache daemon: " + e.getMessage());
      terminal.err().flush();
      return 2; // a usage error
    }
    try {
      return Daemon.runUntilSignalled(config);
    } catch (StateRootInUseException e) {
      // Not a failure of this service: another one owns the root. "locked", as for a held ref.
      log().error("refcache daemon refused: {}", e.getMessage());
      terminal.err().println("refcache daemon: " + e.getMessage());
      terminal.err().flush();
      return 4;
    } catch (Exception e) {
      log().error("refcache daemon failed: {}", Printable.line(e.toString()), e);
      terminal.err().println("refcache daemon: " + Printable.line(e.getMessage()));
      terminal.err().flush();
      return 1;
    }
  }

  /**
   * The logger, made when the service first logs: a static one would start Logback in every client
   * command too, since the command line builds this command's model whatever subcommand runs.
   */
  private static Logger log() {
    return LoggerFactory.getLogger(DaemonCommand.class);
  }
}
