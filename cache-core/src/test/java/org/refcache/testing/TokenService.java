package org.refcache.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;

/**
 * A token service for a {@link LocalRegistry} with {@code auth: token}: the distribution token
 * protocol ({@code GET /token?service=..&scope=..}, Basic credentials optional) answered with a JWT
 * signed RS256 by a key whose self-signed certificate the registry trusts ({@code rootcertbundle})
 * and which travels in the token's {@code x5c} header.
 *
 * <p>One user with one password gets every action asked for; anonymous requests get a token that
 * grants nothing (as public registries do for private repositories); a wrong password gets 401.
 * Every request's scopes are recorded.
 */
public final class TokenService implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String user;
  private final String password;
  private final KeyPair key;
  private final byte[] certificate;
  private final Path bundle;
  private final HttpServer server;
  private final List<List<String>> scopeRequests = Collections.synchronizedList(new ArrayList<>());

  public TokenService(Path dir, String user, String password) throws IOException, GeneralSecurityException {
    this.user = user;
    this.password = password;
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    this.key = g.generateKeyPair();
    this.certificate = selfSigned(key);
    Files.createDirectories(dir);
    this.bundle = dir.resolve("token-ca.pem");
    Files.writeString(bundle, "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate)
        + "\n-----END CERTIFICATE-----\n");
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/token", this::handle);
    server.start();
  }

  public String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  public String service() {
    return "refcache-test-registry";
  }

  public String issuer() {
    return "refcache-test-issuer";
  }

  public Path certificateBundle() {
    return bundle;
  }

  /** The scopes of every token request so far, in order. */
  public List<List<String>> scopeRequests() {
    synchronized (scopeRequests) {
      return List.copyOf(scopeRequests);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      List<String> scopes = new ArrayList<>();
      String query = ex.getRequestURI().getRawQuery();
      if (query != null) {
        for (String pair : query.split("&")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).equals("scope")) {
            scopes.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
          }
        }
      }
      scopeRequests.add(List.copyOf(scopes));
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      boolean granted = false;
      if (auth != null) {
        String pair = auth.startsWith("Basic ")
            ? new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8) : "";
        if (!pair.equals(user + ":" + password)) {
          reply(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"wrong user name or password\"}]}");
          return;
        }
        granted = true;
      }
      String token = token(granted ? scopes : List.of(), granted ? user : "");
      reply(ex, 200, "{\"token\":\"" + token + "\",\"expires_in\":300}");
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private String token(List<String> scopes, String subject) throws GeneralSecurityException, IOException {
    ObjectNode header = JSON.createObjectNode();
    header.put("typ", "JWT");
    header.put("alg", "RS256");
    header.putArray("x5c").add(Base64.getEncoder().encodeToString(certificate));
    long now = Instant.now().getEpochSecond();
    ObjectNode claims = JSON.createObjectNode();
    claims.put("iss", issuer());
    claims.put("sub", subject);
    claims.put("aud", service());
    claims.put("exp", now + 300);
    claims.put("nbf", now - 10);
    claims.put("iat", now);
    claims.put("jti", UUID.randomUUID().toString());
    ArrayNode access = claims.putArray("access");
    for (String scope : scopes) {
      String[] parts = scope.split(":");
      if (parts.length != 3) {
        continue;
      }
      ObjectNode a = access.addObject();
      a.put("type", parts[0]);
      a.put("name", parts[1]);
      ArrayNode actions = a.putArray("actions");
      for (String action : parts[2].split(",")) {
        actions.add(action);
      }
    }
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString(JSON.writeValueAsBytes(header)) + "."
        + b64.encodeToString(JSON.writeValueAsBytes(claims));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key.getPrivate());
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(s.sign());
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** A self-signed X.509 certificate of {@code key}, valid for a day (Bouncy Castle's ASN.1 types). */
  private static byte[] selfSigned(KeyPair key) throws GeneralSecurityException, IOException {
    X500Name name = new X500Name("CN=refcache test token issuer");
    AlgorithmIdentifier algorithm = new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption,
        DERNull.INSTANCE);
    long now = System.currentTimeMillis();
    V3TBSCertificateGenerator g = new V3TBSCertificateGenerator();
    g.setSerialNumber(new ASN1Integer(BigInteger.valueOf(now)));
    g.setIssuer(name);
    g.setSubject(name);
    g.setStartDate(new Time(new Date(now - 3_600_000L)));
    g.setEndDate(new Time(new Date(now + 86_400_000L)));
    g.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()));
    g.setSignature(algorithm);
    TBSCertificate tbs = g.generateTBSCertificate();
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key.getPrivate());
    s.update(tbs.getEncoded(ASN1Encoding.DER));
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(tbs);
    v.add(algorithm);
    v.add(new DERBitString(s.sign()));
    return Certificate.getInstance(new DERSequence(v)).getEncoded(ASN1Encoding.DER);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** The service's one account, for {@link CredentialStore#of}. */
  public Map.Entry<String, String> account() {
    return Map.entry(user, password);
  }
}
