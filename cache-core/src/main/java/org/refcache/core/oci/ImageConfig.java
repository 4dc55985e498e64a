package org.refcache.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.refcache.core.digest.Digest;

/**
 * What an image configuration says that refcache uses: the platform, when it was made, the
 * diffIDs of its layers in order ({@code rootfs.diff_ids}) and its history. Written as the OCI
 * image spec's {@code application/vnd.oci.image.config.v1+json}; read from that or Docker's
 * config, other fields ignored.
 *
 * @param architecture GOARCH spelling
 * @param os           GOOS spelling
 * @param created      when the image was made, or null
 * @param diffIds      the layers' diffIDs, bottom first
 * @param history      one entry per layer (and per empty step), bottom first
 * @param runConfig    the {@code config} object (environment, command, ...) as it is, or null
 */
public record ImageConfig(String architecture, String os, Instant created, List<Digest> diffIds,
    List<History> history, ObjectNode runConfig) {

  public ImageConfig {
    Objects.requireNonNull(architecture, "architecture");
    Objects.requireNonNull(os, "os");
    diffIds = List.copyOf(diffIds);
    history = List.copyOf(history);
    runConfig = runConfig == null ? null : runConfig.deepCopy();
  }

  /**
   * One step of an image's history.
   *
   * @param created    when, or null
   * @param createdBy  the command or operation, or null
   * @param comment    a comment, or null
   * @param emptyLayer whether the step made no layer
   */
  public record History(Instant created, String createdBy, String comment, boolean emptyLayer) {
  }

  /**
   * A config for this platform with one history entry per layer, all created at
   * {@code created}.
   *
   * @param createdBy what each layer's history says made it, one per layer
   */
  public static ImageConfig of(List<Digest> diffIds, List<String> createdBy, Instant created) {
    if (createdBy.size() != diffIds.size()) {
      throw new IllegalArgumentException(diffIds.size() + " layers but " + createdBy.size()
          + " history entries");
    }
    OciDescriptor.Platform platform = OciDescriptor.Platform.current();
    List<History> history = new ArrayList<>();
    for (String by : createdBy) {
      history.add(new History(created, by, null, false));
    }
    return new ImageConfig(platform.architecture(), platform.os(), created, diffIds, history,
        null);
  }

  /** The config as JSON, fields in a fixed order. */
  public byte[] toJson() {
    ObjectNode node = OciJson.NODES.objectNode();
    if (created != null) {
      node.put("created", created.toString());
    }
    node.put("architecture", architecture);
    node.put("os", os);
    if (runConfig != null) {
      node.set("config", runConfig.deepCopy());
    }
    ObjectNode rootfs = node.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    diffIds.forEach(d -> ids.add(d.toString()));
    ArrayNode hist = node.putArray("history");
    for (History h : history) {
      ObjectNode e = hist.addObject();
      if (h.created() != null) {
        e.put("created", h.created().toString());
      }
      if (h.createdBy() != null) {
        e.put("created_by", h.createdBy());
      }
      if (h.comment() != null) {
        e.put("comment", h.comment());
      }
      if (h.emptyLayer()) {
        e.put("empty_layer", true);
      }
    }
    return OciJson.write(node);
  }

  /** Reads a config; {@code where} names it in errors. */
  static ImageConfig parse(byte[] json, String where) throws OciFormatException {
    ObjectNode node = OciJson.parseObject(json, where);
    String architecture = OciJson.requireString(node, "architecture", where);
    String os = OciJson.requireString(node, "os", where);
    Instant created = time(OciJson.optionalString(node, "created", where), where + ".created");
    JsonNode rootfs = node.get("rootfs");
    if (rootfs == null || !rootfs.isObject()) {
      throw new OciFormatException(where + ".rootfs: missing");
    }
    String type = OciJson.requireString(rootfs, "type", where + ".rootfs");
    if (!type.equals("layers")) {
      throw new OciFormatException(where + ".rootfs.type: \"" + type + "\", not \"layers\"");
    }
    List<Digest> diffIds = new ArrayList<>();
    List<JsonNode> ids = OciJson.array(rootfs, "diff_ids", where + ".rootfs", true);
    for (int i = 0; i < ids.size(); i++) {
      String at = where + ".rootfs.diff_ids[" + i + "]";
      if (!ids.get(i).isTextual()) {
        throw new OciFormatException(at + ": not a string");
      }
      try {
        diffIds.add(Digest.parse(ids.get(i).asText()));
      } catch (RuntimeException e) {
        throw new OciFormatException(at + ": " + e.getMessage(), e);
      }
    }
    List<History> history = new ArrayList<>();
    List<JsonNode> entries = OciJson.array(node, "history", where, false);
    for (int i = 0; i < entries.size(); i++) {
      String at = where + ".history[" + i + "]";
      JsonNode h = entries.get(i);
      if (!h.isObject()) {
        throw new OciFormatException(at + ": not an object");
      }
      JsonNode empty = h.get("empty_layer");
      history.add(new History(time(OciJson.optionalString(h, "created", at), at + ".created"),
          OciJson.optionalString(h, "created_by", at), OciJson.optionalString(h, "comment", at),
          empty != null && empty.asBoolean(false)));
    }
    JsonNode run = node.get("config");
    return new ImageConfig(architecture, os, created, diffIds, history,
        run instanceof ObjectNode o ? o : null);
  }

  private static Instant time(String s, String where) throws OciFormatException {
    if (s == null) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw new OciFormatException(where + ": not an RFC 3339 time: \"" + s + "\"", e);
    }
  }
}
