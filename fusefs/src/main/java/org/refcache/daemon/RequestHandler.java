package org.refcache.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.InvalidFilterException;
import org.refcache.core.cache.InvalidRefException;
import org.refcache.core.cache.LockedException;
import org.refcache.core.cache.NotFoundException;
import org.refcache.core.cache.PruneOptions;
import org.refcache.core.cache.UsageFilter;
import org.refcache.core.cache.UsageTotals;
import org.refcache.fuse.MountPrivileges;
import org.refcache.posix.FileNames;
import org.refcache.posix.Printable;
import org.refcache.protocol.BoundedLineReader;
import org.refcache.protocol.ControlProtocol;
import org.refcache.protocol.ErrorKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one request line into calls of {@link RefService} and its outcome into the final response line;
 * every failure becomes a failure response of the right {@link ErrorKind}, never an exception out of
 * here.
 */
public final class RequestHandler {
  private static final Logger LOG = LoggerFactory.getLogger(RequestHandler.class);

  private final RefService service;
  private final CacheMaintenance maintenance;
  private final RegistryOperations registry;
  private final ImageRequests images;

  /** A handler without registry access: pull and push are refused. */
  public RequestHandler(RefService service, CacheMaintenance maintenance) {
    this(service, maintenance, null);
  }

  RequestHandler(RefService service, CacheMaintenance maintenance, RegistryOperations registry) {
    this.service = service;
    this.maintenance = maintenance;
    this.registry = registry;
    this.images = new ImageRequests(service);
  }

  /**
   * Answers one line as read from a connection: a line over the bound and an empty line get a usage
   * failure like any other line that is not a request, so every line a client sends gets an answer.
   *
   * @param progress receives progress lines to send before the final one
   * @return the final response line
   */
  public ObjectNode handle(BoundedLineReader.Line line, Consumer<JsonNode> progress) {
    if (line instanceof BoundedLineReader.Line.TooLong t) {
      return ControlProtocol.lineTooLong(t.bytes());
    }
    return handle(((BoundedLineReader.Line.Text) line).text(), progress);
  }

  /**
   * Handles one request line.
   *
   * @param progress receives progress lines to send before the final one
   * @return the final response line
   */
  public ObjectNode handle(String line, Consumer<JsonNode> progress) {
    if (line.isBlank()) {
      // A client waits for an answer to every line it sends; silence would hang it.
      return ControlProtocol.failure(ErrorKind.USAGE, "empty request line: expected a JSON request"
          + " object such as {\"v\":" + ControlProtocol.VERSION + ",\"op\":\"ls\"}");
    }
    JsonNode req;
    try {
      req = ControlProtocol.JSON.readTree(line);
    } catch (IOException e) {
      return ControlProtocol.failure(ErrorKind.USAGE, "malformed request: not JSON");
    }
    if (req == null || !req.isObject()) {
      return ControlProtocol.failure(ErrorKind.USAGE, "malformed request: not a JSON object");
    }
    JsonNode v = req.get("v");
    if (v == null || !v.isInt() || v.intValue() != ControlProtocol.VERSION) {
      return ControlProtocol.failure(ErrorKind.USAGE, "unsupported protocol version " + v + "; this service speaks "
          + ControlProtocol.VERSION);
    }
    JsonNode op = req.get("op");
    JsonNode args = req.get("args");
    if (op == null || !op.isTextual()) {
      return ControlProtocol.failure(ErrorKind.USAGE, "malformed request: no op");
    }
    if (args != null && !args.isObject() && !args.isNull()) {
      return ControlProtocol.failure(ErrorKind.USAGE, "malformed request: args is not an object");
    }
    Args a = new Args(args == null || args.isNull() ? ControlProtocol.object() : (ObjectNode) args);
    try {
      return ControlProtocol.success(dispatch(op.textValue(), a, progress));
    } catch (ControlException e) {
      return ControlProtocol.failure(e.kind(), e.getMessage());
    } catch (NotFoundException e) {
      return ControlProtocol.failure(ErrorKind.NOT_FOUND, e.getMessage());
    } catch (LockedException e) {
      return ControlProtocol.failure(ErrorKind.LOCKED, e.getMessage());
    } catch (InvalidRefException | InvalidFilterException e) {
      return ControlProtocol.failure(ErrorKind.USAGE, e.getMessage());
    } catch (NoSuchFileException e) {
      return ControlProtocol.failure(ErrorKind.NOT_FOUND, "no such file or directory: " + e.getFile());
    } catch (ClientGoneException e) {
      // Nobody reads the answer; the operation stopped where the progress could not be sent.
      LOG.info("{} abandoned: {}", Printable.text(op.textValue()), Printable.line(e.getMessage()));
      return ControlProtocol.failure(ErrorKind.OTHER, e.getMessage());
    } catch (CacheException | IOException e) {
      LOG.warn("{} failed: {}", Printable.text(op.textValue()), Printable.line(e.toString()));
      LOG.debug("{} failure", Printable.text(op.textValue()), e);
      return ControlProtocol.failure(ErrorKind.OTHER, e.getMessage() == null ? e.toString() : e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("{} failed: {}", Printable.text(op.textValue()), Printable.line(e.toString()), e);
      return ControlProtocol.failure(ErrorKind.OTHER, "internal error: " + e);
    }
  }

  private JsonNode dispatch(String op, Args a, Consumer<JsonNode> progress) throws IOException {
    return switch (op) {
      case "import" -> idResult(service.importLayer(a.path("file"), a.optional("parent"), a.optional("description"),
          (bytes, total) -> {
            ObjectNode p = ControlProtocol.object();
            p.put("bytes", bytes);
            p.put("total", total);
            progress.accept(p);
          }));
      case "new" -> idResult(service.newRef(a.optional("parent"), a.optional("description"), a.flag("retain")));
      case "commit" -> idResult(service.commit(a.required("id")));
      case "export" -> exported(images.export(a.required("id"), a.path("dir"), a.optional("tag"),
          a.optional("compression"), (layer, layers) -> {
            ObjectNode p = ControlProtocol.object();
            p.put("layer", layer);
            p.put("layers", layers);
            progress.accept(p);
          }));
      case "import-oci" -> idResult(images.importOci(a.path("path"), a.optional("tag")));
      case "merge" -> idResult(service.merge(a.ids("ids"), a.optional("description")));
      case "diff" -> idResult(service.diff(a.required("lower"), a.required("upper"), a.optional("description")));
      case "release" -> {
        String id = a.required("id");
        service.release(id);
        yield idResult(id);
      }
      case "path" -> {
        String id = a.required("id");
        ObjectNode r = ControlProtocol.object();
        r.put("id", id);
        r.put("path", service.path(id).toString());
        yield r;
      }
      case "mount" -> mountResult(service.mount(a.required("id"), a.path("dir"), a.flag("readOnly"),
          new MountPrivileges(a.flag("setuid"), a.flag("devices"))));
      case "umount" -> mountResult(service.umount(a.path("dir")));
      case "ls" -> list(progress);
      case "info" -> ControlProtocol.JSON.valueToTree(service.describe(a.required("id")));
      case "files" -> fileNames(service.files(a.required("id")), a.optional("encoding"));
      case "du" -> du(a.strings("filter"), a.flag("verbose"), progress);
      case "prune" -> UsageJson.of(maintenance.prune(pruneOptions(a), u -> {
        ObjectNode p = ControlProtocol.object();
        p.set("removed", UsageJson.of(u));
        progress.accept(p);
      }));
      case "pull" -> idResult(registry().pull().pull(a.required("image"), a.optional("platform"), a.flag("eager"),
          a.flag("insecure"), progress));
      case "push" -> registry().push().push(a.required("id"), a.required("image"), a.optional("compression"),
          a.flag("insecure"), progress);
      default -> throw new ControlException(ErrorKind.USAGE, "unknown operation " + op);
    };
  }

  /**
   * Every ref, each a progress line ({@code "ref"}), then their count: streamed like disk usage, so
   * that a listing of a very large cache is never one answer in the daemon's memory.
   */
  private JsonNode list(Consumer<JsonNode> progress) {
    long[] refs = {0};
    service.list(v -> {
      ObjectNode p = ControlProtocol.object();
      p.set("ref", ControlProtocol.JSON.valueToTree(v));
      progress.accept(p);
      refs[0]++;
    });
    ObjectNode result = ControlProtocol.object();
    result.put("refs", refs[0]);
    return result;
  }

  private RegistryOperations registry() {
    if (registry == null) {
      throw new ControlException(ErrorKind.OTHER, "this service has no registry access");
    }
    return registry;
  }

  /**
   * Names (byte strings) as UTF-8 text, bytes that are not UTF-8 turned into U+FFFD (what JSON can
   * hold), or with {@code "encoding":"base64"} each name's exact bytes in base64.
   */
  private static JsonNode fileNames(List<String> names, String encoding) {
    ArrayNode out = ControlProtocol.JSON.createArrayNode();
    if (encoding == null) {
      names.forEach(n -> out.add(FileNames.toText(n)));
    } else if (encoding.equals("base64")) {
      names.forEach(n -> out.add(Base64.getEncoder().encodeToString(FileNames.bytes(n))));
    } else {
      throw new ControlException(ErrorKind.USAGE, "argument encoding must be base64 or absent, not "
          + Printable.text(encoding));
    }
    return out;
  }

  /**
   * Disk usage, each row a progress line; verbose adds to each record the GC policy's verdict and to
   * the summary each rule's size target.
   */
  private JsonNode du(List<String> filters, boolean verbose, Consumer<JsonNode> progress) throws IOException {
    long[] notCounted = {0}; // what prune's total leaves out: data no record uses
    UsageTotals t = maintenance.diskUsage(filters, u -> {
      ObjectNode row = UsageJson.of(u);
      if (verbose) {
        try {
          List<String> verdicts = maintenance.gcVerdicts(u);
          if (!verdicts.isEmpty()) {
            verdicts.forEach(row.putArray("gc")::add);
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      if (u.id().equals("service:unreferenced") || u.id().equals("service:open-files")) {
        notCounted[0] += u.size();
      }
      ObjectNode p = ControlProtocol.object();
      p.set("record", row);
      progress.accept(p);
    });
    ObjectNode result = UsageJson.of(t);
    if (verbose && filters.isEmpty()) {
      for (CacheMaintenance.RuleTarget r : maintenance.gcTargets(t.total() - notCounted[0])) {
        ObjectNode n = result.withArray("gcPolicy").addObject();
        n.put("rule", r.rule());
        n.put("description", r.description());
        n.put("keepBytes", r.keepBytes());
      }
    }
    return result;
  }

  private static PruneOptions pruneOptions(Args a) {
    return new PruneOptions(a.flag("all"), UsageFilter.parse(a.strings("filter")),
        Duration.ofSeconds(a.count("keepDuration")), a.count("reservedSpace"), a.count("maxUsedSpace"),
        a.count("minFreeSpace"));
  }

  private static JsonNode exported(ImageRequests.Exported e) {
    ObjectNode r = ControlProtocol.object();
    r.put("dir", e.dir());
    r.put("tag", e.tag());
    r.put("manifest", e.manifest().digest().toString());
    r.put("layers", e.layers());
    return r;
  }

  private static JsonNode idResult(String id) {
    ObjectNode r = ControlProtocol.object();
    r.put("id", id);
    return r;
  }

  private static JsonNode mountResult(HeldHandles.ActiveMount m) {
    ObjectNode r = ControlProtocol.object();
    r.put("id", m.id());
    r.put("dir", m.dir().toString());
    r.put("readOnly", m.readOnly());
    r.put("setuid", m.privileges().setuid());
    r.put("devices", m.privileges().devices());
    return r;
  }

  /** Typed access to a request's arguments; a wrong or missing one is a usage error. */
  private record Args(ObjectNode node) {
    String required(String name) {
      String s = optional(name);
      if (s == null || s.isEmpty()) {
        throw new ControlException(ErrorKind.USAGE, "missing argument " + name);
      }
      return s;
    }

    String optional(String name) {
      JsonNode n = node.get(name);
      if (n == null || n.isNull()) {
        return null;
      }
      if (!n.isTextual()) {
        throw new ControlException(ErrorKind.USAGE, "argument " + name + " must be a string");
      }
      return n.textValue();
    }

    /** A non-empty array of strings. */
    java.util.List<String> ids(String name) {
      JsonNode n = node.get(name);
      if (n == null || !n.isArray() || n.isEmpty()) {
        throw new ControlException(ErrorKind.USAGE, "argument " + name + " must be a non-empty array of ref IDs");
      }
      java.util.List<String> out = new java.util.ArrayList<>();
      for (JsonNode e : n) {
        if (!e.isTextual()) {
          throw new ControlException(ErrorKind.USAGE, "argument " + name + " must hold strings");
        }
        out.add(e.textValue());
      }
      return out;
    }

    /** A list of strings; absent is empty. */
    List<String> strings(String name) {
      JsonNode n = node.get(name);
      if (n == null || n.isNull()) {
        return List.of();
      }
      if (!n.isArray()) {
        throw new ControlException(ErrorKind.USAGE, "argument " + name + " must be a list of strings");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode e : n) {
        if (!e.isTextual()) {
          throw new ControlException(ErrorKind.USAGE, "argument " + name + " must be a list of strings");
        }
        out.add(e.textValue());
      }
      return out;
    }

    /** A whole number of at least 0 (bytes, seconds); absent is 0. */
    long count(String name) {
      JsonNode n = node.get(name);
      if (n == null || n.isNull()) {
        return 0;
      }
      if (!n.canConvertToLong() || !n.isIntegralNumber() || n.longValue() < 0) {
        throw new ControlException(ErrorKind.USAGE, "argument " + name + " must be a whole number of at least 0");
      }
      return n.longValue();
    }

    boolean flag(String name) {
      JsonNode n = node.get(name);
      if (n == null || n.isNull()) {
        return false;
      }
      if (!n.isBoolean()) {
        throw new ControlException(ErrorKind.USAGE, "argument " + name + " must be true or false");
      }
      return n.booleanValue();
    }

    Path path(String name) {
      Path p;
      try {
        p = Path.of(required(name));
      } catch (java.nio.file.InvalidPathException e) {
        throw new ControlException(ErrorKind.USAGE, "argument " + name + " is not a path: " + e.getMessage());
      }
      if (!p.isAbsolute()) {
        throw new ControlException(ErrorKind.USAGE, "argument " + name + " must be an absolute path");
      }
      return p;
    }
  }
}
