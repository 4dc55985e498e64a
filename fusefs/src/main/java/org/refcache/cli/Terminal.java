package org.refcache.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.Map;

/**
 * Where one run of the command writes and what it knows of its surroundings; injected so tests run the
 * command in-process.
 *
 * @param out stdout: IDs, paths, tables, JSON documents
 * @param err stderr: errors and progress
 * @param env the environment ({@code REFCACHE_SOCKET}...)
 * @param interactive whether the command runs on a terminal (progress is shown only then)
 * @param stdout the bytes under {@code out}, for output that is not text ({@code files -z}); flush
 *     {@code out} before writing to it
 */
public record Terminal(PrintWriter out, PrintWriter err, Map<String, String> env, boolean interactive,
    OutputStream stdout) {}
