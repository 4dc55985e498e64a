package org.refcache.cli;

import org.refcache.protocol.JsonValue;

/** A command that moves blobs (pull, push): its progress lines drive a {@link TransferDisplay}. */
abstract class TransferCommand extends ClientCommand {
  private TransferDisplay display;

  TransferCommand(Terminal terminal) {
    super(terminal);
  }

  /** What the display says a layer is doing ("fetching", "pushing"). */
  abstract String verb();

  @Override
  final void progress(JsonValue p) {
    if (display == null) {
      display = new TransferDisplay(terminal, verb());
    }
    display.show(p);
  }

  @Override
  final void done() {
    if (display != null) {
      display.end();
    }
  }
}
