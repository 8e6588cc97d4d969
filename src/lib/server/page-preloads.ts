// The chat pages render in the browser (ssr = false, so the service worker's one shell can serve
// them offline), which puts the data they show behind their JavaScript: HTML → scripts → /api.
// Online, the page's own response names that data in a `Link: rel=preload` header so the browser
// asks for it alongside the scripts; the load functions' fetches then take the preloaded answers
// (same URL, CORS mode, same-origin credentials: `crossorigin` without a value). The offline
// shell carries no such header and the loads fetch as before.

/** The user, asked for by the root layout's load on every page. */
const ME = '/api/me';
const CONVERSATION_ROUTE = '/(chat)/c/[id]';

function preload(href: string): string {
	return `<${href}>; rel=preload; as=fetch; crossorigin`;
}

/** The `Link` header value for a signed-in chat page, or null when it loads nothing early. */
export function chatPagePreloads(routeId: string | null, params: Partial<Record<string, string>>) {
	if (routeId === '/(chat)') return preload(ME);
	if (routeId !== CONVERSATION_ROUTE) return null;
	const id = Number(params.id);
	// Same test as the page's load: anything else is never fetched, so never preloaded.
	if (!Number.isInteger(id) || id <= 0) return preload(ME);
	return [preload(ME), preload(`/api/conversations/${id}`)].join(', ');
}
