/**
 * The echo example: {@code ./veloq echo-server} ({@link io.veloq.examples.echo.EchoServerMain}, one event
 * loop per core, one listener per loop with {@code SO_REUSEPORT}, one pooled buffer and two reused ops per
 * connection) and {@code ./veloq echo-client} ({@link io.veloq.examples.echo.EchoClientMain}, a load
 * generator that checks every echoed byte and reports msgs/s and latency percentiles).
 *
 * <pre>
 * ./veloq echo-server --port 7000 --threads 2
 * ./veloq echo-client --port 7000 --conns 64 --size 64 --depth 1 --seconds 5
 * </pre>
 */
package io.veloq.examples.echo;
