/**
 * The {@code refcache} command (picocli): {@code refcache daemon} runs the service in the foreground;
 * every other subcommand is a client of its control socket.
 *
 * <p>Output contract (DESIGN "The service and the refcache command"): commands that create a ref print
 * its ID alone on stdout; {@code --format json} prints exactly one JSON document; errors go to stderr;
 * exit status 0 ok, 2 usage, 3 not found, 4 locked, 1 anything else. Progress of long operations goes to
 * stderr, and only when the command runs on a terminal. A client command gives up, exit status 1, when
 * the service sends nothing (no answer, progress or heartbeat) for {@code --timeout} seconds
 * ({@code REFCACHE_TIMEOUT}, default 30).
 */
package org.refcache.cli;
