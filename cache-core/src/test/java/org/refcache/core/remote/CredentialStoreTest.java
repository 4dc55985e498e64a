package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialStoreTest {
  @TempDir Path dir;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private Path file(String name, String json) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, json.replace('\'', '"'));
    return f;
  }

  @Test
  void readsAuthEntriesUnderHostPortOrUrlKeys() throws IOException {
    Path f = file("config.json", "{'auths':{'reg.example:5000':{'auth':'" + b64("alice:pa:ss") + "'},"
        + "'https://other.example/v1/':{'auth':'" + b64("bob:pw") + "'},"
        + "'third.example':{'username':'carol','password':'c-pw'},"
        + "'empty.example':{}}}");

    CredentialStore store = CredentialStore.load(f);

    assertThat(store.find("reg.example:5000")).contains(new Credentials("alice", "pa:ss"));
    assertThat(store.find("REG.example:5000")).contains(new Credentials("alice", "pa:ss"));
    assertThat(store.find("other.example")).contains(new Credentials("bob", "pw"));
    assertThat(store.find("third.example")).contains(new Credentials("carol", "c-pw"));
    assertThat(store.find("reg.example")).as("another port is another registry").isEmpty();
    assertThat(store.find("empty.example")).isEmpty();
    assertThat(store.source()).isEqualTo("credentials from " + f);
  }

  @Test
  void authFileVariableWinsOverDockerConfig() throws IOException {
    Path home = dir.resolve("home");
    Files.createDirectories(home.resolve(".docker"));
    Files.writeString(home.resolve(".docker/config.json"), "{\"auths\":{\"r:1\":{\"auth\":\"" + b64("home:x") + "\"}}}");
    Path named = file("named.json", "{'auths':{'r:1':{'auth':'" + b64("named:y") + "'}}}");

    assertThat(CredentialStore.fromEnvironment(Map.of(), home).find("r:1")).contains(new Credentials("home", "x"));
    assertThat(CredentialStore.fromEnvironment(Map.of(CredentialStore.AUTH_FILE_VARIABLE, named.toString()), home)
        .find("r:1")).contains(new Credentials("named", "y"));
    assertThat(CredentialStore.fromEnvironment(Map.of(), dir.resolve("nohome")).find("r:1")).isEmpty();
  }

  @Test
  void namedFileMustExistAndBeValid() throws IOException {
    Path missing = dir.resolve("missing.json");
    assertThatThrownBy(() -> CredentialStore.fromEnvironment(Map.of(CredentialStore.AUTH_FILE_VARIABLE,
        missing.toString()), dir)).isInstanceOf(NoSuchFileException.class).hasMessageContaining(missing.toString());

    Path notJson = file("bad.json", "{");
    assertThatThrownBy(() -> CredentialStore.load(notJson)).hasMessageContaining(notJson.toString())
        .hasMessageContaining("not valid JSON");
    Path badAuth = file("badauth.json", "{'auths':{'r':{'auth':'%%%'}}}");
    assertThatThrownBy(() -> CredentialStore.load(badAuth)).hasMessageContaining("auths.\"r\".auth is not base64");
    Path noColon = file("nocolon.json", "{'auths':{'r':{'auth':'" + b64("justuser") + "'}}}");
    assertThatThrownBy(() -> CredentialStore.load(noColon)).hasMessageContaining("user:password");
  }

  @Test
  void passwordNeverShowsInText() {
    assertThat(new Credentials("u", "hunter2").toString()).doesNotContain("hunter2").contains("u");
  }
}
