package org.refcache.core.remote;

import org.refcache.testing.LocalRegistry;
import org.refcache.testing.TokenService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A registry that takes Bearer tokens from a token service (the distribution token flow). */
class TokenAuthTest extends RegistryFixture {
  private static final String USER = "ci";
  private static final String PASSWORD = "token-pass";
  private TokenService tokens;

  @Override
  LocalRegistry startRegistry(Path dir) throws IOException {
    try {
      tokens = new TokenService(dir.resolveSibling("tokens"), USER, PASSWORD);
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
    return LocalRegistry.startWithTokenAuth(dir, tokens);
  }

  @AfterEach
  void stopTokens() {
    if (tokens != null) {
      tokens.close();
    }
  }

  private RegistryClient clientWith(String password) {
    return RegistryClient.builder().retry(QUICK)
        .credentials(CredentialStore.of(registry.address(), new Credentials(USER, password))).build();
  }

  @Test
  void tokenForTheRepositoryScopeLetsPushAndPullThrough() throws IOException {
    RegistryClient authed = clientWith(PASSWORD);
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 50);
    ImageReference ref = registry.ref("tokens/app:1");

    image.push(authed, ref);
    ResolvedImage resolved = authed.resolve(ref);
    authed.fetchBlob(resolved.reference(), resolved.manifest().layers().get(0), store, Map.of());

    assertThat(resolved.digest()).isEqualTo(image.manifestDigest());
    assertThat(storedBytes(image.layers.get(0).digest())).isEqualTo(image.layers.get(0).bytes());
    assertThat(tokens.scopeRequests()).anySatisfy(s -> assertThat(s).contains("repository:tokens/app:pull,push"));
    assertThat(tokens.scopeRequests()).contains(List.of("repository:tokens/app:pull"));
    assertThat(tokens.scopeRequests()).as("tokens are reused, not fetched per request").hasSizeLessThan(5);
  }

  @Test
  void mountAsksForPullOnTheSourceRepository() throws IOException {
    RegistryClient authed = clientWith(PASSWORD);
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 51);
    image.push(authed, registry.ref("tokens/base:1"));
    TestImage.Blob layer = image.layers.get(0);

    assertThat(authed.pushBlob(registry.ref("tokens/derived:1"), layer.descriptor(), BlobSource.of(layer.bytes()),
        "tokens/base")).isEqualTo(PushOutcome.MOUNTED);
    assertThat(tokens.scopeRequests()).anySatisfy(scopes -> assertThat(scopes)
        .contains("repository:tokens/derived:pull,push", "repository:tokens/base:pull"));
  }

  @Test
  void wrongPasswordIsRefusedByTheTokenService() {
    ImageReference ref = registry.ref("tokens/app:1");

    assertThatThrownBy(() -> clientWith("wrong").resolve(ref))
        .isInstanceOf(RegistryUnauthorizedException.class)
        .hasMessageContaining(ref.toString())
        .hasMessageContaining("token service " + tokens.realm())
        .hasMessageContaining("\"" + USER + "\"")
        .hasMessageContaining("wrong user name or password")
        .hasMessageNotContaining("wrong\"");
  }

  @Test
  void anonymousTokenWithoutAccessIsUnauthorized() {
    ImageReference ref = registry.ref("tokens/app:1");

    assertThatThrownBy(() -> client.resolve(ref))
        .isInstanceOf(RegistryUnauthorizedException.class)
        .hasMessageContaining(ref.toString())
        .hasMessageContaining("anonymous access");
  }
}
