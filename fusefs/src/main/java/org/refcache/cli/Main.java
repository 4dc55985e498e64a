package org.refcache.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.refcache.posix.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** The {@code refcache} command: {@code daemon} runs the service; the other subcommands talk to it. */
@Command(name = "refcache", mixinStandardHelpOptions = true, version = "refcache 0.1.0",
    description = "A build cache served as a filesystem: every ref is a directory under <mountpoint>/refs.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:ok", "1:anything else (daemon not running...)", "2:usage", "3:not found", "4:locked"})
public final class Main implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  /** The subcommands, in the order usage lists them. */
  static final String[] SUBCOMMANDS = {"daemon", "import", "new", "commit", "merge", "diff", "export",
      "import-oci", "release", "path", "mount", "umount", "ls", "info", "files", "du", "prune", "pull", "push"};

  private Main() {}

  /** The subcommand called {@code name}, or null when there is none. */
  static Object subcommand(String name, Terminal terminal) {
    switch (name) {
      case "daemon": return new DaemonCommand(terminal);
      case "import": return new ImportCommand(terminal);
      case "new": return new NewCommand(terminal);
      case "commit": return new CommitCommand(terminal);
      case "merge": return new MergeCommand(terminal);
      case "diff": return new DiffCommand(terminal);
      case "export": return new ExportCommand(terminal);
      case "import-oci": return new ImportOciCommand(terminal);
      case "release": return new ReleaseCommand(terminal);
      case "path": return new PathCommand(terminal);
      case "mount": return new MountCommand(terminal);
      case "umount": return new UmountCommand(terminal);
      case "ls": return new LsCommand(terminal);
      case "info": return new InfoCommand(terminal);
      case "files": return new FilesCommand(terminal);
      case "du": return new DuCommand(terminal);
      case "prune": return new PruneCommand(terminal);
      case "pull": return new PullCommand(terminal);
      case "push": return new PushCommand(terminal);
      default: return null;
    }
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, new Terminal(out, err, System.getenv(), System.console() != null, System.out)));
  }

  /** Runs the command with {@code args} and returns its exit status. */
  public static int run(String[] args, Terminal terminal) {
    if (args.length > 0 && subcommand(args[0], terminal) instanceof ClientCommand c
        && PlainArguments.bind(c, Arrays.asList(args).subList(1, args.length))) {
      return runBound(c, terminal);
    }
    return runWithPicocli(args, terminal);
  }

  /** Runs a client command whose arguments {@link PlainArguments} bound, as picocli would run it. */
  private static int runBound(ClientCommand command, Terminal terminal) {
    int code;
    try {
      code = command.call();
    } catch (RuntimeException e) {
      code = failed(e, terminal.err());
    }
    terminal.out().flush();
    terminal.err().flush();
    return code;
  }

  /** The answer to an exception out of a command: one line naming it, exit status 1. */
  private static int failed(Exception e, PrintWriter err) {
    err.println("refcache: " + Printable.line(e.toString()));
    err.flush();
    return 1;
  }

  private static int runWithPicocli(String[] args, Terminal terminal) {
    CommandLine cl = new CommandLine(new Main());
    // Building a subcommand's model reflects over its class, options and their types: a client
    // command builds only its own. Anything else (no subcommand, --help, a misspelt name) gets all,
    // so that usage and suggestions list every one.
    Object named = args.length > 0 ? subcommand(args[0], terminal) : null;
    if (named != null) {
      cl.addSubcommand(args[0], named);
    } else {
      for (String name : SUBCOMMANDS) {
        cl.addSubcommand(name, subcommand(name, terminal));
      }
    }
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setOut(terminal.out());
    cl.setErr(terminal.err());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, cmd.getErr()));
    int code = cl.execute(args);
    terminal.out().flush();
    terminal.err().flush();
    return code;
  }

  /** {@code refcache} without a subcommand: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }
}
