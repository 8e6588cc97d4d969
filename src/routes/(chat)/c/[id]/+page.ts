// The chat pages render in the browser only: the conversation is asked for as the page loads,
// alongside the signed-in user, rather than once the page has been built.
import { conversationsStore } from '$lib/stores/conversations.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params }) => {
	const id = Number(params.id);
	if (Number.isInteger(id) && id > 0) conversationsStore.prefetch(id);
};
