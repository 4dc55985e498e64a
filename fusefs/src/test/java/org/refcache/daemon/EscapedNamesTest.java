package org.refcache.daemon;

import org.refcache.protocol.ControlProtocol;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Posix;
import org.slf4j.LoggerFactory;

/**
 * Names with a newline and an ANSI escape sequence in them (finding 7 of issue 9: such a name forged
 * a log line, and {@code refcache files} printed it raw): the log and the text people read show them
 * escaped, on one line; {@code files -z} and {@code --format json} give them exactly.
 */
class EscapedNamesTest {
  /** A name that, printed raw, would end the log line and start a forged one in red. */
  private static final String FORGED = "evil\n12:00:00.000 INFO  [main] org.refcache.daemon.RefService"
      + " - released everything\u001b[31m";
  private static final String FORGED_SHOWN = "evil\\n12:00:00.000 INFO  [main] org.refcache.daemon.RefService"
      + " - released everything\\x1b[31m";
  private static final String LINK = FORGED + "-link";

  private static final Logger ROOT = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  private static ServiceFixture svc;
  private static String id;
  /** Everything logged from the import on (the layer may be unpacked by the import or on first use). */
  private static ListAppender<ILoggingEvent> log;

  @BeforeAll
  static void importLayer() throws Exception {
    log = new ListAppender<>();
    log.start();
    ROOT.addAppender(log);
    svc = ServiceFixture.start();
    Path file = svc.dir.resolve("forged-names.tar");
    Files.write(file, forgedNamesTar());
    id = svc.ok("import", file.toString());
  }

  @AfterAll
  static void stop() throws Exception {
    ROOT.detachAppender(log);
    if (svc != null) {
      svc.close();
    }
  }

  /**
   * A file with the forged name and a symlink next to it that carries a {@code user.} xattr, which
   * Linux does not allow on a symlink: the unpacker drops it with a warning that names the entry.
   */
  private static byte[] forgedNamesTar() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      TarArchiveEntry file = new TarArchiveEntry(FORGED);
      byte[] content = "content\n".getBytes(StandardCharsets.UTF_8);
      file.setSize(content.length);
      tar.putArchiveEntry(file);
      tar.write(content);
      tar.closeArchiveEntry();
      TarArchiveEntry link = new TarArchiveEntry(LINK, TarConstants.LF_SYMLINK);
      link.setLinkName(FORGED);
      link.addPaxHeader("SCHILY.xattr.user.note", "dropped");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }

  @Test
  void theUnpackersWarningAboutAForgedNameStaysOneLine() throws Exception {
    // The first look inside the ref unpacks it (if the import has not already).
    assertThat(Posix.list(svc.tree(id))).hasSize(2);

    List<String> messages;
    synchronized (log) {
      messages = new ArrayList<>(log.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
    assertThat(messages).isNotEmpty().allSatisfy(m -> assertThat(m).doesNotContain("\n", "\r", "\u001b"));
    assertThat(messages).anySatisfy(m -> assertThat(m)
        .contains("entry " + FORGED_SHOWN + "-link: dropping xattr user.note"));
  }

  @Test
  void filesShowsEachNameEscapedOnItsOwnLine() {
    ServiceFixture.Run run = svc.cli("files", id);

    assertThat(run.exit()).isZero();
    assertThat(run.out().lines().toList()).containsExactly(FORGED_SHOWN, FORGED_SHOWN + "-link");
    assertThat(run.out()).doesNotContain("\u001b");
  }

  @Test
  void filesDashZGivesTheExactBytesEachEndedByNul() {
    ServiceFixture.Run run = svc.cli("files", "-z", id);

    assertThat(run.exit()).isZero();
    byte[] expected = (FORGED + "\0" + LINK + "\0").getBytes(StandardCharsets.UTF_8);
    assertThat(run.stdout()).isEqualTo(expected);
    assertThat(svc.cli("files", "-z", "--format", "json", id).exit()).isEqualTo(2);
  }

  @Test
  void filesAsJsonGivesTheExactNames() throws Exception {
    JsonNode names = ControlProtocol.JSON.readTree(svc.ok("files", "--format", "json", id));

    assertThat(names).hasSize(2);
    assertThat(names.get(0).textValue()).isEqualTo(FORGED);
    assertThat(names.get(1).textValue()).isEqualTo(LINK);
  }

  @Test
  void aDescriptionWithControlsIsEscapedInLsAndInfoButExactInJson() throws Exception {
    String description = "two\nlines\u001b[2J";
    String work = svc.ok("new", "--description", description);
    try {
      List<String> ls = svc.ok("ls").lines().toList();
      assertThat(ls).filteredOn(l -> l.startsWith(work)).singleElement()
          .satisfies(l -> assertThat(l).endsWith("two\\nlines\\x1b[2J"));
      assertThat(ls).noneMatch(l -> l.startsWith("lines"));
      assertThat(svc.ok("info", work).lines()).contains("description:    two\\nlines\\x1b[2J");
      JsonNode info = svc.info(work);
      assertThat(info.path("description").textValue()).isEqualTo(description);
    } finally {
      svc.ok("release", work);
    }
  }

  @Test
  void anErrorQuotingTheClientsTextIsOnePrintableLine() {
    ServiceFixture.Run run = svc.cli("info", "no\nsuch\u001b[31m");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err().strip()).doesNotContain("\n", "\u001b").contains("no\\nsuch\\x1b[31m");
  }
}
