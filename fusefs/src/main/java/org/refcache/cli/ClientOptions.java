package org.refcache.cli;

import picocli.CommandLine.Option;

/** The options every client subcommand takes. */
final class ClientOptions {
  /** How results are printed. */
  enum Format { text, json }

  @Option(names = "--socket", paramLabel = "PATH",
      description = "The service's control socket (env REFCACHE_SOCKET, default /run/refcache/refcache.sock).")
  String socket;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
      description = "Output format: ${COMPLETION-CANDIDATES} (json prints one JSON document).")
  Format format;
}
