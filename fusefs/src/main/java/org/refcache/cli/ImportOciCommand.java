package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code refcache import-oci DIR[:TAG]}: an image of an OCI image layout (or docker archive) as refs. */
@Command(name = "import-oci", description = "Import the image TAG (default latest) of an OCI image layout, or of a "
    + "'docker save' archive (TAG: its name:tag, optional when it holds one image), as a chain of lazy refs (blobs "
    + "copied and checked, unpacked on first access). The top ref is held by the service. Prints its ID.")
final class ImportOciCommand extends ClientCommand {
  @Parameters(paramLabel = "DIR[:TAG]", description = "The layout directory or archive file, and the tag.")
  String source;

  ImportOciCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "import-oci";
  }

  @Override
  String plainSyntax() {
    return "| source";
  }

  @Override
  JsonValue args() throws CliFailure {
    LayoutArgument layout = LayoutArgument.parse(source);
    JsonValue a = JsonValue.object();
    a.put("path", layout.path());
    a.put("tag", layout.tag());
    return a;
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("id").asText());
  }
}
