package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {

  @Test
  void bearerChallengeWithQuotedParameters() {
    List<AuthChallenge> c = AuthChallenge.parse("Bearer realm=\"https://auth.example/token\",service=\"registry\","
        + "scope=\"repository:team/app:pull,push\"");

    assertThat(c).containsExactly(new AuthChallenge("bearer", Map.of("realm", "https://auth.example/token",
        "service", "registry", "scope", "repository:team/app:pull,push")));
  }

  @Test
  void basicChallengeAndSeveralChallengesInOneHeader() {
    assertThat(AuthChallenge.parse("Basic realm=\"refcache-test\""))
        .containsExactly(new AuthChallenge("basic", Map.of("realm", "refcache-test")));
    assertThat(AuthChallenge.parse("Basic realm=x, Bearer realm=\"y\", error=\"insufficient_scope\""))
        .extracting(AuthChallenge::scheme).containsExactly("basic", "bearer");
  }

  @Test
  void escapesAndBlanksInQuotedValues() {
    AuthChallenge c = AuthChallenge.parse("Bearer  realm = \"a \\\"b\\\" c\" ,error=invalid_token").get(0);

    assertThat(c.param("realm")).isEqualTo("a \"b\" c");
    assertThat(c.param("error")).isEqualTo("invalid_token");
  }
}
