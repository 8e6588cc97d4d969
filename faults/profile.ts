// How big the suite runs: `ci` (the default, a few minutes, part of `npm test`) or `full`
// (`npm run faults:full`: the sizes — 50 users for 10 minutes, the 60-minute soak).
export const PROFILE = process.env.FAULTS_PROFILE === 'full' ? 'full' : 'ci';

/** The CI size or the full size of a figure. */
export function size<T>(ci: T, full: T): T {
	return PROFILE === 'full' ? full : ci;
}
