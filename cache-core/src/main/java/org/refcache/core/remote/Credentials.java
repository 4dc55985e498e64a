package org.refcache.core.remote;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * A user name and password for a registry. {@link #toString()} never shows the password.
 *
 * @param username the user name
 * @param password the password (or token used as a password)
 */
public record Credentials(String username, String password) {
  /** Requires both parts. */
  public Credentials {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
  }

  /** The value of an {@code Authorization: Basic} header. */
  String basicAuthorization() {
    return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Credentials[username=" + username + ", password=***]";
  }
}
