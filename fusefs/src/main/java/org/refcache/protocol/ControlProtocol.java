package org.refcache.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;

/**
 * The control socket's wire format: newline-delimited JSON, one request line per call, answered by zero
 * or more progress lines and exactly one final line. Every line carries the protocol version {@code v}.
 *
 * <pre>
 * request   {"v":1,"op":"import","args":{"file":"/abs/layer.tar.gz","parent":null}}
 * progress  {"v":1,"progress":{"bytes":1048576,"total":7340032}}
 * heartbeat {"v":1,"heartbeat":true}
 * success   {"v":1,"ok":true,"result":{"id":"..."}}
 * failure   {"v":1,"ok":false,"error":{"kind":"not_found","message":"..."}}
 * </pre>
 *
 * While a request runs, the service sends a heartbeat line every {@link #HEARTBEAT_INTERVAL}, among the
 * progress lines; a client ignores its content and uses it to tell a slow operation from a service that
 * stopped answering. Every request line, an empty one included, gets exactly one final line.
 *
 * <p>A connection may carry several requests one after the other. A line longer than
 * {@link #MAX_LINE_BYTES} or that is not a request object gets a {@code usage} failure and the
 * connection stays usable.
 */
public final class ControlProtocol {
  /** The protocol version both sides write and the service requires. */
  public static final int VERSION = 1;
  /** The longest request line the service reads (1 MiB, without the newline). */
  public static final int MAX_LINE_BYTES = 1 << 20;

  /** How often the service sends a heartbeat line while a request runs. */
  public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

  /** Shared, thread-safe once configured. */
  public static final ObjectMapper JSON = new ObjectMapper();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ControlProtocol() {}

  /** A request line (without the newline). */
  public static ObjectNode request(String op, ObjectNode args) {
    ObjectNode n = NODES.objectNode();
    n.put("v", VERSION);
    n.put("op", op);
    n.set("args", args == null ? NODES.objectNode() : args);
    return n;
  }

  /** A final success line. */
  public static ObjectNode success(JsonNode result) {
    ObjectNode n = NODES.objectNode();
    n.put("v", VERSION);
    n.put("ok", true);
    n.set("result", result == null ? NODES.nullNode() : result);
    return n;
  }

  /** The answer to a request line longer than {@link #MAX_LINE_BYTES}: the connection stays usable. */
  public static ObjectNode lineTooLong(long bytes) {
    return failure(ErrorKind.USAGE, "request line of " + bytes + " bytes exceeds " + MAX_LINE_BYTES + " bytes");
  }

  /** A final failure line. */
  public static ObjectNode failure(ErrorKind kind, String message) {
    ObjectNode n = NODES.objectNode();
    n.put("v", VERSION);
    n.put("ok", false);
    ObjectNode e = n.putObject("error");
    e.put("kind", kind.wireName());
    e.put("message", message == null ? kind.wireName() : message);
    return n;
  }

  /** A progress line sent before the final one. */
  public static ObjectNode progress(JsonNode progress) {
    ObjectNode n = NODES.objectNode();
    n.put("v", VERSION);
    n.set("progress", progress);
    return n;
  }

  /** A heartbeat line: the request is still running. */
  public static ObjectNode heartbeat() {
    ObjectNode n = NODES.objectNode();
    n.put("v", VERSION);
    n.put("heartbeat", true);
    return n;
  }

  /** An empty object to fill in. */
  public static ObjectNode object() {
    return NODES.objectNode();
  }
}
