package org.refcache.cli;

import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every client subcommand takes. */
final class ClientOptions {
  /** How results are printed. */
  enum Format { text, json }

  /** The environment variable that sets {@code --timeout}. */
  static final String TIMEOUT_ENV = "REFCACHE_TIMEOUT";
  /**
   * How long a command waits without hearing from the service: six missed heartbeats
   * ({@link org.refcache.protocol.ControlProtocol#HEARTBEAT_INTERVAL}), so only a service that stopped
   * answering reaches it, however long the operation.
   */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  @Option(names = "--socket", paramLabel = "PATH",
      description = "The service's control socket (env REFCACHE_SOCKET, default /run/refcache/refcache.sock).")
  String socket;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
      description = "Output format: ${COMPLETION-CANDIDATES} (json prints one JSON document).")
  Format format = Format.text;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "Give up when the service sends nothing (no answer, progress or heartbeat) for this long"
          + " (env REFCACHE_TIMEOUT, default 30; 0 waits for ever).")
  String timeout;

  /** The timeout: the option, else {@code REFCACHE_TIMEOUT}, else the default; zero means none. */
  Duration timeout(Map<String, String> env) throws CliFailure {
    if (timeout != null) {
      return seconds(timeout, "--timeout");
    }
    String fromEnv = env.get(TIMEOUT_ENV);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return seconds(fromEnv, TIMEOUT_ENV);
    }
    return DEFAULT_TIMEOUT;
  }

  private static Duration seconds(String value, String what) throws CliFailure {
    if (!value.matches("[0-9]{1,9}")) {
      throw new CliFailure(2, what + " must be a whole number of seconds (0: no limit), not '" + value + "'");
    }
    return Duration.ofSeconds(Long.parseLong(value));
  }
}
