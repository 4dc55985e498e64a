package org.refcache.core.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The filters of disk usage and prune (spec 4.2 step 1), in BuildKit's syntax (containerd's
 * {@code filters.ParseAll}): several filter strings are OR-ed; within one, selectors separated by
 * commas are AND-ed. A selector is {@code field==value}, {@code field!=value}, {@code field~=regex}
 * (a match anywhere in the value) or a bare {@code field} (the field is present). A value may be
 * written in double quotes ({@code \"} and {@code \\} inside), which it must be to hold a comma.
 *
 * <p>Fields: {@code id}, {@code parents} (the parent IDs joined by {@code ;}), {@code description},
 * {@code type} (the record type), and the flags {@code inuse}, {@code mutable}, {@code immutable},
 * {@code shared}, {@code private}. A flag is present when true, as in BuildKit; refcache also lets
 * it be compared with {@code true} or {@code false} ({@code inuse==false}), where BuildKit's
 * comparison never matches. An unknown field is an error, not a filter that matches nothing.
 * Unlike BuildKit's prune, every field applies during prune too ({@code parents} included).
 */
public final class UsageFilter {
  /** Matches every record. */
  public static final UsageFilter ALL = new UsageFilter(List.of(), List.of());

  /** The fields a selector may name. */
  public static final Set<String> FIELDS =
      Set.of("id", "parents", "description", "type", "inuse", "mutable", "immutable", "shared", "private");

  private static final Set<String> FLAGS = Set.of("inuse", "mutable", "immutable", "shared", "private");

  private enum Op { PRESENT, EQUAL, NOT_EQUAL, MATCHES }

  private record Selector(String field, Op op, String value, Pattern regex) {
    boolean matches(UsageInfo u) {
      boolean present;
      String v;
      switch (field) {
        case "id" -> { v = u.id(); present = !v.isEmpty(); }
        case "parents" -> { v = String.join(";", u.parents()); present = !u.parents().isEmpty(); }
        case "description" -> { v = u.description(); present = !v.isEmpty(); }
        case "type" -> { v = u.recordType(); present = !v.isEmpty(); }
        default -> {
          boolean flag = switch (field) {
            case "inuse" -> u.inUse();
            case "mutable" -> u.mutable();
            case "immutable" -> !u.mutable();
            case "shared" -> u.shared();
            case "private" -> !u.shared();
            default -> throw new IllegalStateException(field);
          };
          v = Boolean.toString(flag);
          // A flag always has a value to compare; only the bare form asks whether it is set.
          present = op == Op.PRESENT ? flag : true;
        }
      }
      return switch (op) {
        case PRESENT -> present;
        case EQUAL -> present && v.equals(value);
        case NOT_EQUAL -> !v.equals(value);
        case MATCHES -> regex.matcher(v).find();
      };
    }
  }

  private final List<String> source;
  /** OR of ANDs. */
  private final List<List<Selector>> alternatives;

  private UsageFilter(List<String> source, List<List<Selector>> alternatives) {
    this.source = source;
    this.alternatives = alternatives;
  }

  /**
   * Parses filter strings (OR-ed); none gives {@link #ALL}.
   *
   * @throws InvalidFilterException naming the filter and what is wrong with it
   */
  public static UsageFilter parse(List<String> filters) {
    if (filters == null || filters.isEmpty()) {
      return ALL;
    }
    List<List<Selector>> alternatives = new ArrayList<>();
    for (String f : filters) {
      if (f == null || f.isBlank()) {
        throw new InvalidFilterException("empty filter");
      }
      alternatives.add(parseOne(f));
    }
    return new UsageFilter(List.copyOf(filters), List.copyOf(alternatives));
  }

  /** {@link #parse(List)} of the given strings. */
  public static UsageFilter parse(String... filters) {
    return parse(List.of(filters));
  }

  /** Whether {@code u} passes. */
  public boolean matches(UsageInfo u) {
    if (alternatives.isEmpty()) {
      return true;
    }
    for (List<Selector> all : alternatives) {
      if (all.stream().allMatch(s -> s.matches(u))) {
        return true;
      }
    }
    return false;
  }

  /** Whether this filter lets every record through. */
  public boolean isAll() {
    return alternatives.isEmpty();
  }

  /** The filter strings it was parsed from. */
  public List<String> source() {
    return source;
  }

  @Override
  public String toString() {
    return source.isEmpty() ? "(all)" : String.join(" OR ", source);
  }

  private static List<Selector> parseOne(String text) {
    List<Selector> out = new ArrayList<>();
    int i = 0;
    int n = text.length();
    while (true) {
      int start = i;
      while (i < n && isFieldChar(text.charAt(i))) {
        i++;
      }
      String field = text.substring(start, i);
      if (field.isEmpty()) {
        throw invalid(text, "expected a field name at position " + start + " (one of " + sorted() + ")");
      }
      if (!FIELDS.contains(field)) {
        throw invalid(text, "unknown field \"" + field + "\" (one of " + sorted() + ")");
      }
      i = skipSpaces(text, i);
      Op op = Op.PRESENT;
      String value = null;
      if (i < n && text.charAt(i) != ',') {
        String two = text.substring(i, Math.min(n, i + 2));
        op = switch (two) {
          case "==" -> Op.EQUAL;
          case "!=" -> Op.NOT_EQUAL;
          case "~=" -> Op.MATCHES;
          default -> throw invalid(text, "expected ==, != or ~= after \"" + field + "\" at position " + i);
        };
        i = skipSpaces(text, i + 2);
        if (i < n && text.charAt(i) == '"') {
          StringBuilder sb = new StringBuilder();
          i++;
          boolean closed = false;
          while (i < n) {
            char c = text.charAt(i++);
            if (c == '\\' && i < n) {
              sb.append(text.charAt(i++));
            } else if (c == '"') {
              closed = true;
              break;
            } else {
              sb.append(c);
            }
          }
          if (!closed) {
            throw invalid(text, "unterminated quoted value");
          }
          value = sb.toString();
          i = skipSpaces(text, i);
        } else {
          int vs = i;
          while (i < n && text.charAt(i) != ',') {
            i++;
          }
          value = text.substring(vs, i).strip();
        }
        if (FLAGS.contains(field) && op != Op.MATCHES && !value.equals("true") && !value.equals("false")) {
          throw invalid(text, "\"" + field + "\" is a flag: compare it with true or false, or name it alone");
        }
      }
      Pattern regex = null;
      if (op == Op.MATCHES) {
        try {
          regex = Pattern.compile(value);
        } catch (PatternSyntaxException e) {
          throw invalid(text, "not a regular expression: " + e.getDescription());
        }
      }
      out.add(new Selector(field, op, value, regex));
      if (i >= n) {
        return out;
      }
      if (text.charAt(i) != ',') {
        throw invalid(text, "expected a comma at position " + i);
      }
      i = skipSpaces(text, i + 1);
    }
  }

  private static boolean isFieldChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && s.charAt(i) == ' ') {
      i++;
    }
    return i;
  }

  private static List<String> sorted() {
    return FIELDS.stream().sorted().toList();
  }

  private static InvalidFilterException invalid(String filter, String why) {
    return new InvalidFilterException("invalid filter \"" + filter + "\": " + why);
  }
}
