package org.refcache.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.refcache.posix.Printable;
import org.refcache.protocol.ControlSocket;
import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Mixin;

/**
 * A subcommand that sends one request to the service and prints its result. Subclasses build the
 * request and print the text form; the JSON form is the result itself. Text for people shows names
 * and other text from the service escaped ({@link Printable}); JSON is exact.
 */
abstract class ClientCommand implements Callable<Integer> {
  private boolean progressShown;

  @Mixin
  ClientOptions client;

  final Terminal terminal;

  ClientCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  /** The operation name on the wire. */
  abstract String op();

  /**
   * This command's options and operands for {@link PlainArguments} (its class comment says how to
   * write them): the same as its picocli annotations say, which PlainArgumentsTest checks.
   */
  abstract String plainSyntax();

  /** The request's arguments. */
  abstract JsonValue args() throws CliFailure;

  /** Prints {@code result} for {@code --format text}. */
  abstract void printText(JsonValue result);

  /** Prints {@code result} in the format asked for. */
  void print(JsonValue result) throws CliFailure {
    if (client.format == ClientOptions.Format.json) {
      printJson(result);
    } else {
      printText(result);
    }
  }

  /** Prints {@code result} for {@code --format json}: the result itself, unless a command streams. */
  void printJson(JsonValue result) {
    terminal.out().println(json(result));
  }

  /** Receives progress messages; the default ignores them. */
  void progress(JsonValue p) {}

  /** Called after the result is printed: ends a progress line {@link #showProgress} started. */
  void done() {
    if (progressShown) {
      terminal.err().println();
      terminal.err().flush();
    }
  }

  /** Rewrites the one progress line on stderr with {@code text}, on a terminal only. */
  final void showProgress(String text) {
    if (terminal.interactive()) {
      terminal.err().print("\r" + text);
      terminal.err().flush();
      progressShown = true;
    }
  }

  @Override
  public final Integer call() {
    try {
      JsonValue args = args();
      Path socket = ControlSocket.resolve(client.socket, terminal.env());
      JsonValue result;
      try (ControlClient c = ControlClient.connect(socket, client.timeout(terminal.env()))) {
        result = c.call(op(), args, this::progress);
      } finally {
        done();
      }
      print(result);
      terminal.out().flush();
      return 0;
    } catch (CliFailure f) {
      // The service's message may quote names or a client's text: one printable line.
      terminal.err().println("refcache " + op() + ": " + Printable.line(f.getMessage()));
      terminal.err().flush();
      return f.exitCode();
    }
  }

  static String json(JsonValue n) {
    return n.toPrettyString();
  }

  /** An absolute form of a path the user typed, relative to this process's directory. */
  static String absolute(String path) {
    return Path.of(path).toAbsolutePath().normalize().toString();
  }
}
