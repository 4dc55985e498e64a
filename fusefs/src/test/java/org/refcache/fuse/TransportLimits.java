package org.refcache.fuse;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.TestInfo;

/**
 * The view's contract tests run against both transports ({@code @ParameterizedClass} over
 * {@link FuseOptions.Transport}). What libfuse 2.9 cannot do is named here, test by test, with
 * the limit that explains it: under libfuse these tests are skipped with that reason, and no
 * other test is. The POSIX suite names its own ({@code PosixConformanceTest.LIBFUSE_EXCLUDED}).
 */
final class TransportLimits {

  /** {@code <test class>.<test method>} -> why libfuse 2.9 cannot pass it. */
  static final Map<String, String> LIBFUSE = libfuse();

  private TransportLimits() {
  }

  private static Map<String, String> libfuse() {
    Map<String, String> limits = new LinkedHashMap<>();
    limit(limits, "libfuse 2.9: its high-level rename has no flags (renameat2 answers EINVAL)",
        "WritableViewTest.renameWithNoReplaceMovesToANewNameAndRefusesAnExistingOne",
        "WritableViewTest.renameWithExchangeSwapsTwoNames");
    limit(limits, "libfuse 2.9: its path-based API gives each name of a hard-linked file its own "
            + "kernel inode, whose attributes stay stale for the attribute timeout",
        "KernelInodeTest.aNewLinkRaisesTheLinkCountSeenThroughTheFirstName",
        "KernelInodeTest.unlinkingOneNameLowersTheCountOfTheOther",
        "KernelInodeTest.aLowerPairOfLinksStaysOneFileThroughCopyUp");
    limit(limits, "libfuse 2.9 hides an open file (renames it to .fuse_hidden*) before it tries "
            + "a rename over it, so a rename that then fails has still taken its name",
        "KernelInodeTest.aRenameOverAnOpenFileThatFailsLeavesTheFileInPlace");
    limit(limits, "libfuse 2.9 hides open files under names .fuse_hidden<16 hex digits> by "
            + "renaming them there, so a rename to such a name means hiding the file",
        "WritableViewTest.aFileRenamedToANameLikeLibfusesHiddenOnesIsRenamed");
    return limits;
  }

  private static void limit(Map<String, String> limits, String why, String... tests) {
    for (String test : tests) {
      limits.put(test, why);
    }
  }

  /** Skips the running test, with its reason, if {@code transport} cannot pass it. */
  static void assumeServed(FuseOptions.Transport transport, TestInfo test) {
    if (transport != FuseOptions.Transport.LIBFUSE) {
      return;
    }
    String name = test.getTestClass().orElseThrow().getSimpleName() + "."
        + test.getTestMethod().orElseThrow().getName();
    String why = LIBFUSE.get(name);
    assumeTrue(why == null, () -> "not run under libfuse: " + why);
  }
}
