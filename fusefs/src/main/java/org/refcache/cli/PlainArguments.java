package org.refcache.cli;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Binds a client subcommand's arguments to its fields without picocli, when they are plainly well
 * formed. picocli stays the command line's definition and the only judge of anything else: {@link #bind}
 * declines help, argument files ({@code @file}), unknown or repeated options, values that look like
 * options, a wrong number of operands, and {@link Main} then lets picocli parse, so usage errors and
 * help are picocli's.
 *
 * <p>Why: a client command is a short JVM run that build scripts make often. picocli's classes are
 * Java 5 class files, which the class-data archive cannot hold; building its model reads the
 * annotations (each annotation type a proxy class generated at run time) and sets up every converter
 * picocli knows. That was some 0.15 s of CPU, more than half of what a client command took
 * (docs/PERFORMANCE.md, "Pulling from a registry").
 *
 * <p>What a command takes is declared twice, then: by its picocli annotations and by its
 * {@link ClientCommand#plainSyntax()}. {@code PlainArgumentsTest} holds the two to the same meaning.
 *
 * <p>The syntax: space-separated words. An option is {@code names=field}, names separated by commas
 * ({@code -f,--filter=filters}), each field of the command or of its {@code client} options; the
 * field's type says what it takes (boolean: a flag; String, an enum or a List of String: a value, the
 * list repeatable). After {@code |}, the operands in order, each a field; {@code field...} (a List) takes
 * one or more, and must be the only one.
 */
final class PlainArguments {
  /** The options every client command has, on {@link ClientOptions}. */
  private static final String CLIENT_OPTIONS = "--socket=socket --format=format --timeout=timeout";

  private final Map<String, Target> options = new HashMap<>();
  private final List<Target> operands = new ArrayList<>();
  private Target rest;

  /** What a field holds. */
  private enum Kind { FLAG, TEXT, ENUM, LIST }

  /** A field of an object, and what it holds. */
  private static final class Target {
    private final Object owner;
    private final Field field;
    private final Kind kind;

    Target(Object owner, Field field, Kind kind) {
      this.owner = owner;
      this.field = field;
      this.kind = kind;
    }
  }

  private PlainArguments() {}

  /**
   * Sets {@code command}'s option and operand fields (and its client options') from {@code args}, as
   * picocli would; returns false, leaving the fields in any state, when picocli must parse instead.
   *
   * @param args the arguments after the subcommand's name
   */
  static boolean bind(ClientCommand command, List<String> args) {
    try {
      if (command.client == null) {
        command.client = new ClientOptions();
      }
      PlainArguments p = new PlainArguments();
      p.declare(command.client, CLIENT_OPTIONS);
      p.declare(command, command.plainSyntax());
      return p.assign(args);
    } catch (ReflectiveOperationException e) {
      // A syntax naming a field that is not there: PlainArgumentsTest fails on it; picocli still parses.
      return false;
    }
  }

  /** The option names {@code command}'s syntax and the client options declare (for tests). */
  static Set<String> optionNames(ClientCommand command) throws ReflectiveOperationException {
    PlainArguments p = new PlainArguments();
    p.declare(new ClientOptions(), CLIENT_OPTIONS);
    p.declare(command, command.plainSyntax());
    return p.options.keySet();
  }

  /** Reads one syntax (class comment) for fields of {@code owner}. */
  private void declare(Object owner, String syntax) throws ReflectiveOperationException {
    boolean operandPart = false;
    for (String word : syntax.trim().split(" +")) {
      if (word.isEmpty()) {
        continue;
      }
      if (word.equals("|")) {
        operandPart = true;
      } else if (operandPart) {
        boolean many = word.endsWith("...");
        Target t = target(owner, many ? word.substring(0, word.length() - 3) : word);
        if (many != (t.kind == Kind.LIST) || t.kind == Kind.FLAG || rest != null || (many && !operands.isEmpty())) {
          throw new NoSuchFieldException("operand " + word + " cannot be bound plainly");
        }
        if (many) {
          rest = t;
        } else {
          operands.add(t);
        }
      } else {
        int eq = word.indexOf('=');
        Target t = target(owner, word.substring(eq + 1));
        for (String name : word.substring(0, eq).split(",")) {
          options.put(name, t);
        }
      }
    }
  }

  private static Target target(Object owner, String fieldName) throws ReflectiveOperationException {
    for (Class<?> c = owner.getClass(); c != Object.class; c = c.getSuperclass()) {
      Field f;
      try {
        f = c.getDeclaredField(fieldName);
      } catch (NoSuchFieldException e) {
        continue;
      }
      f.setAccessible(true);
      Class<?> type = f.getType();
      Kind kind = type == boolean.class ? Kind.FLAG : type == String.class ? Kind.TEXT
          : type.isEnum() ? Kind.ENUM : type == List.class ? Kind.LIST : null;
      if (kind == null) {
        throw new NoSuchFieldException(fieldName + " is of a type bound only by picocli: " + type);
      }
      return new Target(owner, f, kind);
    }
    throw new NoSuchFieldException(fieldName);
  }

  private boolean assign(List<String> args) throws ReflectiveOperationException {
    Set<Target> given = new HashSet<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.startsWith("@")) {
        return false; // an argument file: picocli expands it
      }
      if (!arg.startsWith("-")) {
        values.add(arg);
        continue;
      }
      int eq = arg.indexOf('=');
      boolean attached = arg.startsWith("--") && eq > 0;
      Target t = options.get(attached ? arg.substring(0, eq) : arg);
      if (t == null) {
        return false; // help, "--", "-", clustered or unknown options: picocli's
      }
      if (t.kind != Kind.LIST && !given.add(t)) {
        return false; // given twice: an error picocli words
      }
      if (t.kind == Kind.FLAG) {
        if (attached) {
          return false;
        }
        t.field.setBoolean(t.owner, true);
        continue;
      }
      String value;
      if (attached) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("-") && !args.get(i + 1).startsWith("@")) {
        value = args.get(++i);
      } else {
        return false; // a missing value, or one that looks like an option
      }
      if (!set(t, value)) {
        return false;
      }
    }
    return operands(values);
  }

  private boolean operands(List<String> values) throws ReflectiveOperationException {
    if (rest != null) {
      if (values.isEmpty()) {
        return false;
      }
      rest.field.set(rest.owner, new ArrayList<>(values));
      return true;
    }
    if (values.size() != operands.size()) {
      return false;
    }
    for (int i = 0; i < values.size(); i++) {
      if (!set(operands.get(i), values.get(i))) {
        return false;
      }
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private static boolean set(Target t, String value) throws ReflectiveOperationException {
    switch (t.kind) {
      case TEXT:
        t.field.set(t.owner, value);
        return true;
      case ENUM: {
        // As picocli with case-insensitive enum values (Main): the exact name, else the only one
        // that matches ignoring case.
        Object match = null;
        for (Object c : t.field.getType().getEnumConstants()) {
          String n = ((Enum<?>) c).name();
          if (n.equals(value)) {
            match = c;
            break;
          }
          if (n.equalsIgnoreCase(value)) {
            if (match != null) {
              return false;
            }
            match = c;
          }
        }
        if (match == null) {
          return false;
        }
        t.field.set(t.owner, match);
        return true;
      }
      case LIST: {
        List<String> list = (List<String>) t.field.get(t.owner);
        if (list == null) {
          list = new ArrayList<>();
          t.field.set(t.owner, list);
        }
        list.add(value);
        return true;
      }
      default:
        return false;
    }
  }
}
