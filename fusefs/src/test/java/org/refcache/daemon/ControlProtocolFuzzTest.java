package org.refcache.daemon;

import org.refcache.protocol.ErrorKind;
import org.refcache.protocol.BoundedLineReader;
import org.refcache.protocol.ControlProtocol;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.refcache.core.cache.CacheConfig;
import org.refcache.core.cache.CacheManager;
import org.refcache.posix.Mounting;

/**
 * Fuzz test of the control protocol: whatever bytes a client sends, the service reads them as lines
 * ({@link BoundedLineReader}) and answers every line with exactly one well-formed final line, after
 * progress lines only; no unchecked exception reaches {@link RequestHandler}'s last-resort "internal
 * error" answer, and none escapes it.
 *
 * <p>The requests are served for real, by a {@link RefService} over a real cache (LMDB, content store)
 * whose state root is a small tmpfs: an {@code import} of whatever file the fuzzer names can fill it
 * but nothing else. There is no FUSE view, so no bind mount can succeed. Lines are bounded at 1 KiB
 * here instead of the service's 1 MiB, so that inputs of fuzzing size reach the over-long path too.
 */
class ControlProtocolFuzzTest {
  private static final int LINE_BOUND = 1024;
  private static final Set<String> KINDS =
      Arrays.stream(ErrorKind.values()).map(ErrorKind::wireName).collect(Collectors.toSet());

  private static ServiceFixture dirs;
  private static CacheManager cache;
  private static RefService service;
  private static RequestHandler handler;

  @FuzzTest
  void everyLineGetsOneWellFormedAnswer(byte[] connection) throws IOException {
    RequestHandler requests = handler();
    BoundedLineReader reader = new BoundedLineReader(new ByteArrayInputStream(connection), LINE_BOUND);
    BoundedLineReader.Line line;
    try {
      while ((line = reader.next()) != null) {
        List<JsonNode> progress = new ArrayList<>();
        ObjectNode answer = requests.handle(line, progress::add);
        for (JsonNode p : progress) {
          requireOneLine(ControlProtocol.progress(p), line);
        }
        requireFinal(answer, line);
      }
    } finally {
      releaseEverything();
    }
  }

  /** Each input starts from a service that holds nothing, so no input's outcome depends on others. */
  private static void releaseEverything() throws IOException {
    List<String> held = new ArrayList<>();
    service.list(ref -> {
      if (ref.held()) {
        held.add(ref.id());
      }
    });
    for (String id : held) {
      service.release(id);
    }
  }

  private static void requireFinal(ObjectNode answer, BoundedLineReader.Line line) throws IOException {
    if (answer == null) {
      throw new AssertionError("no answer to " + line);
    }
    requireOneLine(answer, line);
    if (!answer.path("ok").isBoolean()) {
      throw new AssertionError("answer without ok to " + line + ": " + answer);
    }
    if (answer.path("ok").booleanValue()) {
      if (!answer.has("result")) {
        throw new AssertionError("success without a result for " + line + ": " + answer);
      }
      return;
    }
    JsonNode error = answer.path("error");
    String message = error.path("message").asText("");
    if (!KINDS.contains(error.path("kind").asText()) || message.isBlank()) {
      throw new AssertionError("malformed failure for " + line + ": " + answer);
    }
    if (message.startsWith("internal error")) {
      throw new AssertionError("an unchecked exception answered " + line + ": " + answer);
    }
  }

  private static void requireOneLine(ObjectNode message, BoundedLineReader.Line line) throws IOException {
    byte[] raw = ControlProtocol.JSON.writeValueAsBytes(message);
    for (byte b : raw) {
      if (b == '\n') {
        throw new AssertionError("a message of more than one line for " + line + ": " + message);
      }
    }
    if (message.path("v").asInt() != ControlProtocol.VERSION) {
      throw new AssertionError("a message without the protocol version for " + line + ": " + message);
    }
  }

  /** The service, made at the first input and kept for the whole run (as the daemon keeps it). */
  private static synchronized RequestHandler handler() throws IOException {
    if (handler == null) {
      dirs = ServiceFixture.prepare();
      Files.createDirectories(dirs.root);
      Files.createDirectories(dirs.mountpoint);
      // 64 MiB go to the LMDB map up front.
      Mounting.mount("refcache-test-fuzz", dirs.root, "tmpfs", 0, "size=96m,mode=0700");
      cache = CacheManager.open(CacheConfig.at(dirs.root));
      HeldHandles held = HeldHandles.restore(cache, dirs.root);
      service = new RefService(cache, held, dirs.mountpoint,
          new MountTargets(dirs.root, dirs.mountpoint, dirs.root.resolve("refcache.sock")), id -> { });
      handler = new RequestHandler(service, new CacheMaintenance(cache, id -> { }, GcPolicy.OFF, dirs.root));
    }
    return handler;
  }

  @AfterAll
  static void stopService() throws IOException {
    if (cache != null) {
      cache.close();
    }
    if (dirs != null) {
      dirs.close(); // detaches the tmpfs and removes the directories
    }
  }
}
