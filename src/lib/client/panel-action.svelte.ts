// A settings panel's actions, one at a time: `busy` while one runs (its buttons are disabled),
// then a message — the action's own words when it succeeds, the error's when it fails.

export interface PanelMessage {
	text: string;
	ok: boolean;
}

export class PanelAction {
	busy = $state(false);
	message = $state<PanelMessage | null>(null);

	/** Runs `action`; the text it returns (if any) is shown as done, a thrown error as failed. */
	run = async (action: () => Promise<string | void>): Promise<void> => {
		this.busy = true;
		this.message = null;
		try {
			const text = await action();
			if (text) this.message = { text, ok: true };
		} catch (error) {
			this.message = {
				text: error instanceof Error ? error.message : 'Something went wrong',
				ok: false
			};
		} finally {
			this.busy = false;
		}
	};
}
