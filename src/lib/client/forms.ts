import type { SubmitFunction } from '@sveltejs/kit';

/** `use:enhance` that reports while the form is submitting; fields keep their values on error. */
export function withPending(
	set: (pending: boolean) => void,
	options: { reset?: boolean } = {}
): SubmitFunction {
	return () => {
		set(true);
		return async ({ update }) => {
			await update({ reset: options.reset ?? false });
			set(false);
		};
	};
}
