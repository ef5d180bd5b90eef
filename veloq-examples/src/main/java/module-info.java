/**
 * Runnable examples: {@code ./veloq doctor}, {@code ./veloq demo}, the echo server and client.
 *
 * <p>It declares {@code requires veloq.api} and nothing else on purpose: the runtime host
 * ({@code veloq.spi}) and the drivers reach the module graph by service binding, so this module is the
 * proof that an application needs no other {@code requires}, and no {@code --add-modules},
 * {@code --add-opens} or {@code --add-exports} flags. See MODULES.md.
 */
module veloq.examples {
    requires veloq.api;
}
