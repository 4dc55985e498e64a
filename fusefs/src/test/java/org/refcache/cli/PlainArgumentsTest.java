package org.refcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@link PlainArguments} binds what picocli would, for every client command, or declines: each
 * command's {@link ClientCommand#plainSyntax()} says what its picocli annotations say.
 */
class PlainArgumentsTest {
  private static final Terminal TERMINAL = new Terminal(new PrintWriter(new StringWriter()),
      new PrintWriter(new StringWriter()), Map.of(), false, System.out);

  /** Every client subcommand by name. */
  private static Map<String, ClientCommand> clientCommands() {
    Map<String, ClientCommand> all = new LinkedHashMap<>();
    for (String name : Main.SUBCOMMANDS) {
      if (Main.subcommand(name, TERMINAL) instanceof ClientCommand c) {
        all.put(name, c);
      }
    }
    return all;
  }

  private static ClientCommand fresh(String name) {
    return (ClientCommand) Main.subcommand(name, TERMINAL);
  }

  @Test
  void everyClientCommandButTheDaemonIsBoundPlainly() {
    assertThat(clientCommands().keySet()).hasSize(Main.SUBCOMMANDS.length - 1).doesNotContain("daemon");
  }

  @Test
  void everyOptionAndOperandBindsAsPicocliBindsIt() throws Exception {
    for (String name : clientCommands().keySet()) {
      for (List<String> args : wellFormed(name)) {
        ClientCommand byPicocli = fresh(name);
        picocli(byPicocli).parseArgs(args.toArray(String[]::new));
        ClientCommand plainly = fresh(name);
        assertThat(PlainArguments.bind(plainly, args)).as("%s %s binds plainly", name, args).isTrue();
        assertThat(values(plainly)).as("%s %s", name, args).isEqualTo(values(byPicocli));
      }
    }
  }

  @Test
  void plainSyntaxNamesNoOptionPicocliDoesNotKnow() throws Exception {
    for (var e : clientCommands().entrySet()) {
      CommandLine cl = picocli(e.getValue());
      for (String option : PlainArguments.optionNames(fresh(e.getKey()))) {
        assertThat(cl.getCommandSpec().findOption(option)).as("%s %s", e.getKey(), option).isNotNull();
      }
    }
  }

  @Test
  void whatPicocliMustJudgeIsDeclined() {
    assertThat(PlainArguments.bind(fresh("ls"), List.of("--help"))).isFalse();
    assertThat(PlainArguments.bind(fresh("ls"), List.of("-h"))).isFalse();
    assertThat(PlainArguments.bind(fresh("ls"), List.of("--bogus"))).isFalse();
    assertThat(PlainArguments.bind(fresh("ls"), List.of("@args.txt"))).isFalse();
    assertThat(PlainArguments.bind(fresh("ls"), List.of("--format", "yaml"))).isFalse();
    assertThat(PlainArguments.bind(fresh("ls"), List.of("--format"))).isFalse();
    assertThat(PlainArguments.bind(fresh("ls"), List.of("--format", "json", "--format", "text"))).isFalse();
    assertThat(PlainArguments.bind(fresh("ls"), List.of("extra"))).isFalse();
    assertThat(PlainArguments.bind(fresh("import"), List.of())).isFalse();
    assertThat(PlainArguments.bind(fresh("import"), List.of("--description", "-x", "f.tar"))).isFalse();
    assertThat(PlainArguments.bind(fresh("import"), List.of("--", "-f.tar"))).isFalse();
    assertThat(PlainArguments.bind(fresh("mount"), List.of("onlyanid"))).isFalse();
    assertThat(PlainArguments.bind(fresh("commit"), List.of("a", "b"))).isFalse();
    assertThat(PlainArguments.bind(fresh("merge"), List.of())).isFalse();
    assertThat(PlainArguments.bind(fresh("du"), List.of("-vf", "id"))).isFalse();
    assertThat(PlainArguments.bind(fresh("du"), List.of("--verbose=true"))).isFalse();
  }

  @Test
  void declinedArgumentsAreTheOnesPicocliRejectsOrReadsOtherwise() {
    // Each is either a usage error for picocli, or something only picocli does (help, argument files).
    for (List<String> args : List.of(List.of("--bogus"), List.of("--format", "yaml"), List.of("extra"),
        List.of("--format", "json", "--format", "text"))) {
      CommandLine cl = picocli(fresh("ls"));
      assertThat(cl.execute(args.toArray(String[]::new))).as("%s", args).isEqualTo(2);
    }
  }

  /** Argument lists that use every option and operand of {@code name}, in the forms picocli reads. */
  private static List<List<String>> wellFormed(String name) {
    CommandLine cl = picocli(fresh(name));
    List<String> operands = new ArrayList<>();
    List<PositionalParamSpec> positional = new ArrayList<>(cl.getCommandSpec().positionalParameters());
    positional.sort(Comparator.comparingInt(p -> p.index().min()));
    for (PositionalParamSpec p : positional) {
      operands.add(p.paramLabel().toLowerCase() + "-1");
      if (p.isMultiValue()) {
        operands.add(p.paramLabel().toLowerCase() + "-2");
      }
    }
    List<String> longest = new ArrayList<>();
    List<String> shortest = new ArrayList<>();
    List<String> attached = new ArrayList<>();
    for (OptionSpec o : cl.getCommandSpec().options()) {
      String value = value(o);
      longest.add(o.longestName());
      shortest.add(o.shortestName());
      if (o.arity().max() == 0) {
        attached.add(o.longestName());
        continue;
      }
      longest.add(value);
      shortest.add(value);
      attached.add(o.longestName() + "=" + value);
      if (o.isMultiValue()) {
        longest.addAll(List.of(o.longestName(), value + "-again"));
        shortest.addAll(List.of(o.shortestName(), value + "-again"));
      }
    }
    List<List<String>> all = new ArrayList<>();
    all.add(operands); // no option: the defaults
    all.add(concat(longest, operands));
    all.add(concat(operands, shortest)); // options after the operands
    all.add(concat(attached, operands));
    return all;
  }

  private static String value(OptionSpec o) {
    if (o.type().isEnum()) {
      Object[] constants = o.type().getEnumConstants();
      return constants[constants.length - 1].toString().toUpperCase(); // case-insensitive, as Main sets
    }
    return o.longestName().replace("-", "") + "-value";
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static CommandLine picocli(ClientCommand command) {
    return new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true)
        .setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(new StringWriter()));
  }

  /** The fields picocli binds (the command's and its client options'), by owner and name. */
  private static Map<String, Object> values(ClientCommand command) throws IllegalAccessException {
    Map<String, Object> values = new LinkedHashMap<>();
    for (ArgSpec spec : picocli(command).getCommandSpec().args()) {
      // The field behind each option or operand, read from the object itself rather than the model.
      Field f = field(spec);
      Object owner = f.getDeclaringClass() == ClientOptions.class ? command.client : command;
      f.setAccessible(true);
      Object v = f.get(owner);
      values.put(f.getDeclaringClass().getSimpleName() + "." + f.getName(),
          v instanceof List<?> l ? List.copyOf(l) : Objects.toString(v, null));
    }
    return values;
  }

  private static Field field(ArgSpec spec) {
    Object user = spec.userObject();
    if (user instanceof Field f) {
      return f;
    }
    throw new AssertionError("not a field: " + user);
  }
}
