package org.refcache.core.remote;

import org.refcache.testing.LocalRegistry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A registry behind htpasswd Basic auth, with credentials from Docker-style config files. */
class BasicAuthTest extends RegistryFixture {
  private static final String USER = "builder";
  private static final String PASSWORD = "s3cret-Pa55";

  @Override
  LocalRegistry startRegistry(Path dir) throws IOException {
    return LocalRegistry.startWithBasicAuth(dir, USER, PASSWORD);
  }

  private Path authFile(String name, String user, String password) throws IOException {
    Path file = root.resolve(name);
    String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    Files.writeString(file, "{\"auths\":{\"" + registry.address() + "\":{\"auth\":\"" + auth + "\"}}}");
    return file;
  }

  private RegistryClient clientWith(CredentialStore credentials) {
    return RegistryClient.builder().retry(QUICK).credentials(credentials).build();
  }

  @Test
  void rightPasswordFromTheAuthFilePushesAndPulls() throws IOException {
    Path file = authFile("auth.json", USER, PASSWORD);
    RegistryClient authed = clientWith(CredentialStore.fromEnvironment(
        Map.of(CredentialStore.AUTH_FILE_VARIABLE, file.toString()), root.resolve("no-home")));
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 40);
    ImageReference ref = registry.ref("private/app:1");

    image.push(authed, ref);
    ResolvedImage resolved = authed.resolve(ref);
    authed.fetchBlob(resolved.reference(), resolved.manifest().layers().get(1), store, Map.of());

    assertThat(resolved.digest()).isEqualTo(image.manifestDigest());
    assertThat(storedBytes(image.layers.get(1).digest())).isEqualTo(image.layers.get(1).bytes());
  }

  @Test
  void dockerConfigInTheHomeDirectoryIsUsed() throws IOException {
    Path home = root.resolve("home");
    Files.createDirectories(home.resolve(".docker"));
    Files.move(authFile("config.json", USER, PASSWORD), home.resolve(".docker/config.json"));
    RegistryClient authed = clientWith(CredentialStore.fromEnvironment(Map.of(), home));
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 41);

    image.push(authed, registry.ref("home/app:1"));

    assertThat(authed.resolve(registry.ref("home/app:1")).digest()).isEqualTo(image.manifestDigest());
  }

  @Test
  void wrongPasswordIsUnauthorizedNamingUserAndFileButNotThePassword() throws IOException {
    Path file = authFile("wrong.json", USER, "not-the-password");
    RegistryClient wrong = clientWith(CredentialStore.load(file));
    ImageReference ref = registry.ref("private/app:1");

    assertThatThrownBy(() -> wrong.resolve(ref))
        .isInstanceOf(RegistryUnauthorizedException.class)
        .hasMessageContaining(ref.toString())
        .hasMessageContaining("\"" + USER + "\"")
        .hasMessageContaining(file.toString())
        .hasMessageContaining("HTTP 401")
        .hasMessageNotContaining("not-the-password");
    TestImage.Blob blob = TestImage.twoLayers(Platform.LINUX_AMD64, 42).layers.get(0);
    assertThatThrownBy(() -> wrong.pushBlob(ref, blob.descriptor(), BlobSource.of(blob.bytes()), null))
        .isInstanceOf(RegistryUnauthorizedException.class);
  }

  @Test
  void noCredentialsIsUnauthorizedSayingThereAreNone() {
    ImageReference ref = registry.ref("private/app:1");

    assertThatThrownBy(() -> client.resolve(ref))
        .isInstanceOf(RegistryUnauthorizedException.class)
        .hasMessageContaining(ref.toString())
        .hasMessageContaining("needs a user name and password and there are none for it");
  }

  @Test
  void credentialsOfAnotherRegistryAreNotSent() throws IOException {
    Path file = root.resolve("other.json");
    String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    Files.writeString(file, "{\"auths\":{\"127.0.0.1:1\":{\"auth\":\"" + auth + "\"}}}");
    RegistryClient other = clientWith(CredentialStore.load(file));

    assertThatThrownBy(() -> other.resolve(registry.ref("private/app:1")))
        .isInstanceOf(RegistryUnauthorizedException.class)
        .hasMessageContaining("there are none for it");
  }
}
