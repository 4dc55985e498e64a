package org.refcache.core.remote;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235): a scheme and its parameters, e.g.
 * {@code Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"}.
 *
 * @param scheme the scheme, lower case ({@code basic}, {@code bearer})
 * @param params the parameters, keys lower case
 */
record AuthChallenge(String scheme, Map<String, String> params) {
  AuthChallenge {
    scheme = scheme.toLowerCase(Locale.ROOT);
    params = Collections.unmodifiableMap(new TreeMap<>(params));
  }

  String param(String name) {
    return params.get(name);
  }

  /**
   * Parses every challenge of one header value. A parameter belongs to the challenge before it; a
   * token followed by blank and another token starts a new challenge.
   */
  static List<AuthChallenge> parse(String header) {
    List<AuthChallenge> out = new ArrayList<>();
    Parser p = new Parser(header);
    String scheme = null;
    Map<String, String> params = new TreeMap<>();
    while (p.skipSeparators()) {
      String token = p.token();
      if (token.isEmpty()) {
        p.pos++;
        continue;
      }
      p.skipBlanks();
      if (p.peek() == '=') {
        p.pos++;
        p.skipBlanks();
        String value = p.peek() == '"' ? p.quoted() : p.token();
        if (scheme != null) {
          params.put(token.toLowerCase(Locale.ROOT), value);
        }
      } else {
        if (scheme != null) {
          out.add(new AuthChallenge(scheme, params));
        }
        scheme = token;
        params = new TreeMap<>();
      }
    }
    if (scheme != null) {
      out.add(new AuthChallenge(scheme, params));
    }
    return out;
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    char peek() {
      return pos < s.length() ? s.charAt(pos) : '\0';
    }

    void skipBlanks() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    boolean skipSeparators() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == ',')) {
        pos++;
      }
      return pos < s.length();
    }

    String token() {
      int start = pos;
      while (pos < s.length() && "=, \t\"".indexOf(s.charAt(pos)) < 0) {
        pos++;
      }
      return s.substring(start, pos);
    }

    String quoted() {
      StringBuilder sb = new StringBuilder();
      pos++;
      while (pos < s.length() && s.charAt(pos) != '"') {
        char c = s.charAt(pos++);
        if (c == '\\' && pos < s.length()) {
          c = s.charAt(pos++);
        }
        sb.append(c);
      }
      pos++;
      return sb.toString();
    }
  }
}
