package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code refcache daemon} killed with SIGKILL in the middle of a request, at the step where the request
 * happens: the write of the held state. The daemon is stopped there for sure by a FIFO in place of the
 * state's temporary file (opening it for writing blocks until a reader comes, which never does), then
 * killed; everything the request did before that step is on disk (LMDB's map is shared with the page
 * cache, which a killed process does not take along). The next daemon must serve a state in which the
 * request did not happen at all: no record nobody holds, the mutable held and writable.
 */
class CrashRecoveryTest {
  private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(60);
  private ServiceFixture svc;
  private DaemonProcesses daemons;

  @BeforeEach
  void prepare() throws IOException {
    svc = ServiceFixture.prepare();
    daemons = new DaemonProcesses(svc);
  }

  @AfterEach
  void cleanUp() throws Exception {
    daemons.close();
    svc.close();
  }

  /**
   * Runs {@code refcache args...} against {@code daemon} and kills the daemon with SIGKILL once the
   * request has reached the write of the held state; returns what the command said.
   */
  private ServiceFixture.Run killedAtTheStateWrite(Process daemon, String... args) throws Exception {
    Path tmp = svc.root.resolve(ServiceState.FILE + ".tmp");
    Process mkfifo = new ProcessBuilder("mkfifo", tmp.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor()).as("mkfifo").isZero();
    CompletableFuture<ServiceFixture.Run> request = CompletableFuture.supplyAsync(() -> svc.cli(args));
    long deadline = System.nanoTime() + BLOCK_TIMEOUT.toNanos();
    while (!blockedOpeningAFifo(daemon.pid())) {
      assertThat(request).as("the request returned before it reached the state write").isNotDone();
      assertThat(System.nanoTime()).as("the daemon did not reach the state write").isLessThan(deadline);
      Thread.sleep(10);
    }
    daemon.destroyForcibly();
    assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
    ServiceFixture.Run run = request.get(30, TimeUnit.SECONDS);
    assertThat(run.exit()).as("the client learns that its request failed").isNotZero();
    // What a crash during the write of the temporary file leaves: part of it.
    Files.delete(tmp);
    Files.writeString(tmp, "{\"version\":1,\"immu");
    return run;
  }

  /** Whether a thread of {@code pid} waits in open(2) of a FIFO for the other end. */
  private static boolean blockedOpeningAFifo(long pid) throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : tasks.toList()) {
        try {
          if (Files.readString(t.resolve("wchan")).contains("wait_for_partner")) {
            return true;
          }
        } catch (IOException e) {
          // The thread ended meanwhile.
        }
      }
    }
    return false;
  }

  private String layer(String name, String file, String content) throws IOException {
    Path f = svc.dir.resolve(name);
    Files.write(f, LayerTar.tar(LayerTar.oneFile(file, content)));
    return f.toString();
  }

  @Test
  void aCommitKilledAtItsStateWriteIsUndoneAndTheMutableStaysHeldAndWritable() throws Exception {
    Process first = daemons.start("first");
    String base = svc.ok("import", layer("base.tar", "base", "base\n"));
    String work = svc.ok("new", "--parent", base);
    Files.writeString(svc.tree(work).resolve("before"), "before the crash\n");
    List<String> records = svc.recordIds();

    killedAtTheStateWrite(first, "commit", work);
    daemons.start("second");

    assertThat(svc.recordIds()).as("no twin under an ID nobody was told").isEqualTo(records);
    assertThat(svc.root.resolve(ServiceState.FILE + ".tmp")).doesNotExist();
    assertThat(svc.info(work).path("mutable").asBoolean()).isTrue();
    assertThat(svc.info(work).path("held").asBoolean()).isTrue();
    Files.writeString(svc.tree(work).resolve("after"), "after the crash\n");
    String twin = svc.ok("commit", work);
    assertThat(Files.readString(svc.tree(twin).resolve("before"))).isEqualTo("before the crash\n");
    assertThat(Files.readString(svc.tree(twin).resolve("after"))).isEqualTo("after the crash\n");
    assertThat(svc.info(work).path("id").asText()).isEqualTo(twin);
  }

  @Test
  void aNewRetainedRefKilledAtItsStateWriteLeavesNoRecord() throws Exception {
    Process first = daemons.start("first");
    String base = svc.ok("import", layer("base.tar", "base", "base\n"));
    List<String> records = svc.recordIds();

    killedAtTheStateWrite(first, "new", "--retain", "--parent", base);
    daemons.start("second");

    assertThat(svc.recordIds()).as("no record nobody was told of").isEqualTo(records);
    String work = svc.ok("new", "--retain", "--parent", base);
    Files.writeString(svc.tree(work).resolve("f"), "f\n");
    assertThat(svc.recordIds()).containsExactlyInAnyOrder(base, work);
  }

  @Test
  void anImportKilledAtItsStateWriteLeavesNoRecordAndAReleasedRefStays() throws Exception {
    Process first = daemons.start("first");
    String kept = svc.ok("import", layer("kept.tar", "kept", "kept\n"));
    svc.ok("release", kept); // imported and let go: a record nobody holds that must stay
    List<String> records = svc.recordIds();

    killedAtTheStateWrite(first, "import", layer("lost.tar", "lost", "lost\n"));
    daemons.start("second");

    assertThat(svc.recordIds()).isEqualTo(records);
    assertThat(Files.readString(svc.tree(kept).resolve("kept"))).isEqualTo("kept\n");
    String again = svc.ok("import", svc.dir.resolve("lost.tar").toString());
    assertThat(Files.readString(svc.tree(again).resolve("lost"))).isEqualTo("lost\n");
  }

  /**
   * A diff of a ref from its grandparent (a merge of two one-layer diffs: three records) and a merge,
   * each killed at its state write, leave no record.
   */
  @Test
  void aDiffAndAMergeKilledAtTheirStateWriteLeaveNoRecord() throws Exception {
    Process first = daemons.start("first");
    String base = svc.ok("import", layer("base.tar", "base", "base\n"));
    String mid = svc.ok("import", "--parent", base, layer("mid.tar", "mid", "mid\n"));
    String top = svc.ok("import", "--parent", mid, layer("top.tar", "top", "top\n"));
    List<String> records = svc.recordIds();

    killedAtTheStateWrite(first, "diff", base, top);
    Process second = daemons.start("second");
    assertThat(svc.recordIds()).as("no record nobody was told of").isEqualTo(records);

    killedAtTheStateWrite(second, "merge", base, top);
    daemons.start("third");
    assertThat(svc.recordIds()).isEqualTo(records);
    String diff = svc.ok("diff", base, top);
    assertThat(Files.readString(svc.tree(diff).resolve("top"))).isEqualTo("top\n");
  }

  /**
   * What docs/DURABILITY.md promises a process with files open when the daemon dies: its descriptors of
   * a writable ref answer ENOTCONN (ECONNABORTED at first, at most), also after the next daemon is up
   * (they belong to the dead mount), and
   * the same file opened again after the restart has everything written before the crash.
   */
  @Test
  void openFilesOfAKilledDaemonAnswerEnotconnAndReopenedOnesWorkAfterTheRestart() throws Exception {
    Process first = daemons.start("first");
    String work = svc.ok("new");
    Path file = svc.tree(work).resolve("w");
    Files.writeString(file, "written before the crash\n");
    try (FileChannel open = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      first.destroyForcibly();
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

      // ENOTCONN; or ECONNABORTED for a call that reached the connection before the kernel had
      // taken it down: with FUSE over io_uring it does so after the process is gone, once the dead
      // daemon's rings are released (docs/DURABILITY.md).
      assertThatThrownBy(() -> open.read(ByteBuffer.allocate(64), 0))
          .isInstanceOf(IOException.class).message().containsAnyOf(
              "Transport endpoint is not connected", "Software caused connection abort");
      assertThatThrownBy(() -> open.write(ByteBuffer.wrap(new byte[] {'x'}), 0))
          .isInstanceOf(IOException.class).message().containsAnyOf(
              "Transport endpoint is not connected", "Software caused connection abort");
      daemons.start("second");
      assertThatThrownBy(() -> open.read(ByteBuffer.allocate(64), 0))
          .isInstanceOf(IOException.class).hasMessageContaining("Transport endpoint is not connected");
    }
    assertThat(Files.readString(file)).isEqualTo("written before the crash\n");
  }
}
