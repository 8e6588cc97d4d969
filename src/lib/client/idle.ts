// Work that can wait for the browser to be idle (code highlighting), one piece a task.

/** Longest wait for an idle moment before the work runs anyway. */
const IDLE_TIMEOUT_MS = 1_000;

/** Resolves in an idle period (or a plain task where requestIdleCallback is missing: Safari). */
export function whenIdle(): Promise<void> {
	return new Promise((resolve) => {
		if (typeof requestIdleCallback === 'function')
			requestIdleCallback(() => resolve(), { timeout: IDLE_TIMEOUT_MS });
		else setTimeout(resolve);
	});
}
