// Two-factor sign-in for the signed-in user: status, enrolment (QR code, confirming code, recovery
// codes shown once) and turning it off.
import { api } from '$lib/client/api';

export interface TwoFactorStatus {
	enabled: boolean;
	recoveryCodesLeft: number;
	required: boolean;
}

export interface Enrolment {
	qrDataUrl: string;
	manualKey: string;
}

class TwoFactorStore {
	status = $state<TwoFactorStatus | null>(null);
	enrolment = $state<Enrolment | null>(null);
	/** Shown once, right after enrolment; forgotten on the next load. */
	recoveryCodes = $state<string[] | null>(null);

	async load() {
		this.status = await api<TwoFactorStatus>('GET', '/api/me/two-factor');
	}

	async begin() {
		this.recoveryCodes = null;
		this.enrolment = await api<Enrolment>('POST', '/api/me/two-factor/enrolment');
	}

	async confirm(code: string) {
		const { recoveryCodes } = await api<{ recoveryCodes: string[] }>(
			'POST',
			'/api/me/two-factor/confirm',
			{ code }
		);
		this.enrolment = null;
		this.recoveryCodes = recoveryCodes;
		await this.load();
	}

	async disable(code: string) {
		await api('POST', '/api/me/two-factor/disable', { code });
		this.recoveryCodes = null;
		await this.load();
	}
}

export const twoFactorStore = new TwoFactorStore();
