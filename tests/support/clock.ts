/** A clock that moves only when told: inject `now` where the code under test reads the time. */
export function manualClock(start = 1_000_000) {
	let now = start;
	return {
		now: () => now,
		advance: (ms: number) => (now += ms)
	};
}
