package org.refcache.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.refcache.protocol.ControlProtocol;
import org.refcache.protocol.ControlSocket;
import picocli.CommandLine.Mixin;

/**
 * A subcommand that sends one request to the service and prints its result. Subclasses build the
 * request and print the text form; the JSON form is the result itself.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin
  ClientOptions client;

  final Terminal terminal;

  ClientCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  /** The operation name on the wire. */
  abstract String op();

  /** The request's arguments. */
  abstract ObjectNode args() throws CliFailure;

  /** Prints {@code result} for {@code --format text}. */
  abstract void printText(JsonNode result);

  /** Receives progress messages; the default ignores them. */
  void progress(JsonNode p) {}

  /** Called after the result is printed (e.g. to end a progress line). */
  void done() {}

  @Override
  public final Integer call() {
    try {
      ObjectNode args = args();
      Path socket = ControlSocket.resolve(client.socket, terminal.env());
      JsonNode result;
      try (ControlClient c = ControlClient.connect(socket, client.timeout(terminal.env()))) {
        result = c.call(op(), args, this::progress);
      } finally {
        done();
      }
      if (client.format == ClientOptions.Format.json) {
        terminal.out().println(json(result));
      } else {
        printText(result);
      }
      terminal.out().flush();
      return 0;
    } catch (CliFailure f) {
      terminal.err().println("refcache " + op() + ": " + f.getMessage());
      terminal.err().flush();
      return f.exitCode();
    }
  }

  static String json(JsonNode n) {
    try {
      return ControlProtocol.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An absolute form of a path the user typed, relative to this process's directory. */
  static String absolute(String path) {
    return Path.of(path).toAbsolutePath().normalize().toString();
  }
}
