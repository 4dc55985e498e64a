package org.refcache.core.layer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.UnaryOperator;

/**
 * An input stream whose read errors are replaced by ones that say what was being read: a
 * decompressor's bare {@code EOFException} or an I/O error's one-word message names nothing, and
 * the error a user sees should.
 */
final class ReportingInputStream extends FilterInputStream {
  private final UnaryOperator<IOException> report;

  /** {@code report} returns the error to throw instead of the one given (or that one itself). */
  ReportingInputStream(InputStream in, UnaryOperator<IOException> report) {
    super(in);
    this.report = report;
  }

  @Override
  public int read() throws IOException {
    try {
      return in.read();
    } catch (IOException e) {
      throw report.apply(e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return in.read(b, off, len);
    } catch (IOException e) {
      throw report.apply(e);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    try {
      return in.skip(n);
    } catch (IOException e) {
      throw report.apply(e);
    }
  }
}
