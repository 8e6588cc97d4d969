// Where the server's shutdown promise is left for `hearth serve` (a separate bundle) to await:
// a module of its own, so that serve can name it without loading the runtime.
export const SHUTDOWN_DONE = Symbol.for('hearth.shutdown-done');
