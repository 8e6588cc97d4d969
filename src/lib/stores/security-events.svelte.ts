// The account activity log in Settings: the user's own events, or everyone's for the admin.
import { api } from '$lib/client/api';
import type { SecurityEventDto } from '$lib/shared/dto';

class SecurityEventsStore {
	events = $state<SecurityEventDto[] | null>(null);
	everyone = $state(false);

	async load(everyone = this.everyone) {
		this.everyone = everyone;
		const path = everyone ? '/api/admin/security-events' : '/api/me/security-events';
		this.events = (await api<{ events: SecurityEventDto[] }>('GET', path)).events;
	}
}

export const securityEventsStore = new SecurityEventsStore();
