package org.refcache.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import org.refcache.posix.Printable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code refcache} command: {@code daemon} runs the service; the other subcommands talk to it. */
@Command(name = "refcache", mixinStandardHelpOptions = true, version = "refcache 0.1.0",
    description = "A build cache served as a filesystem: every ref is a directory under <mountpoint>/refs.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:ok", "1:anything else (daemon not running...)", "2:usage", "3:not found", "4:locked"})
public final class Main implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  private Main() {}

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, new Terminal(out, err, System.getenv(), System.console() != null, System.out)));
  }

  /** Runs the command with {@code args} and returns its exit status. */
  public static int run(String[] args, Terminal terminal) {
    CommandLine cl = new CommandLine(new Main());
    cl.addSubcommand("daemon", new DaemonCommand(terminal));
    cl.addSubcommand("import", new ImportCommand(terminal));
    cl.addSubcommand("new", new NewCommand(terminal));
    cl.addSubcommand("commit", new CommitCommand(terminal));
    cl.addSubcommand("merge", new MergeCommand(terminal));
    cl.addSubcommand("diff", new DiffCommand(terminal));
    cl.addSubcommand("export", new ExportCommand(terminal));
    cl.addSubcommand("import-oci", new ImportOciCommand(terminal));
    cl.addSubcommand("release", new ReleaseCommand(terminal));
    cl.addSubcommand("path", new PathCommand(terminal));
    cl.addSubcommand("mount", new MountCommand(terminal));
    cl.addSubcommand("umount", new UmountCommand(terminal));
    cl.addSubcommand("ls", new LsCommand(terminal));
    cl.addSubcommand("info", new InfoCommand(terminal));
    cl.addSubcommand("files", new FilesCommand(terminal));
    cl.addSubcommand("du", new DuCommand(terminal));
    cl.addSubcommand("prune", new PruneCommand(terminal));
    cl.addSubcommand("pull", new PullCommand(terminal));
    cl.addSubcommand("push", new PushCommand(terminal));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setOut(terminal.out());
    cl.setErr(terminal.err());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("refcache: " + Printable.line(e.toString()));
      cmd.getErr().flush();
      return 1;
    });
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
