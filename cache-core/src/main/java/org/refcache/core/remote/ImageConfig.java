package org.refcache.core.remote;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.refcache.core.digest.Digest;

/**
 * What this client reads of an image config (OCI or Docker): its platform and the diffIDs of its
 * layers (the digests of the uncompressed layer tars, bottom first). The rest of the config is
 * opaque here.
 *
 * @param os the operating system
 * @param architecture the CPU architecture
 * @param variant the CPU variant, or null
 * @param diffIds {@code rootfs.diff_ids}, bottom layer first
 */
public record ImageConfig(String os, String architecture, String variant, List<Digest> diffIds) {

  /** Copies the diffIDs. */
  public ImageConfig {
    Objects.requireNonNull(os, "os");
    Objects.requireNonNull(architecture, "architecture");
    diffIds = List.copyOf(diffIds);
  }

  /**
   * Parses an image config.
   *
   * @throws MalformedManifestException when {@code os}, {@code architecture} or
   *     {@code rootfs} (of type {@code layers}, with {@code diff_ids}) is missing or wrong
   */
  public static ImageConfig parse(byte[] json) throws MalformedManifestException {
    JsonNode root = ManifestJson.readObject(json, "image config");
    String os = ManifestJson.text(root, "os", "image config", true);
    String arch = ManifestJson.text(root, "architecture", "image config", true);
    String variant = ManifestJson.text(root, "variant", "image config", false);
    JsonNode rootfs = root.get("rootfs");
    if (rootfs == null || !rootfs.isObject()) {
      throw new MalformedManifestException("image config has no \"rootfs\" object");
    }
    String type = ManifestJson.text(rootfs, "type", "image config rootfs", true);
    if (!type.equals("layers")) {
      throw new MalformedManifestException("image config rootfs type is \"" + type + "\", not \"layers\"");
    }
    List<Digest> diffIds = new ArrayList<>();
    List<JsonNode> ids = ManifestJson.array(rootfs, "diff_ids", "image config rootfs", true);
    for (int i = 0; i < ids.size(); i++) {
      if (!ids.get(i).isTextual()) {
        throw new MalformedManifestException("image config rootfs diff_ids[" + i + "] is not a string");
      }
      try {
        diffIds.add(Digest.parse(ids.get(i).textValue()));
      } catch (IllegalArgumentException e) {
        throw new MalformedManifestException("image config rootfs diff_ids[" + i + "]: " + e.getMessage(), e);
      }
    }
    return new ImageConfig(os, arch, variant == null || variant.isEmpty() ? null : variant, diffIds);
  }

  /** The platform the config says the image is for. */
  public Platform platform() {
    return new Platform(os, architecture, variant);
  }
}
