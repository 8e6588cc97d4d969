// The colour theme: follows the system unless the user picked dark or light on this device.
export const THEMES = ['system', 'dark', 'light'] as const;
export type Theme = (typeof THEMES)[number];
const KEY = 'hearth:theme';

export function readTheme(): Theme {
	const saved = localStorage.getItem(KEY);
	return THEMES.find((t) => t === saved) ?? 'system';
}

/** Applies a theme to the page (html[data-theme]) and remembers it on this device. */
export function applyTheme(theme: Theme, remember = true) {
	if (theme === 'system') delete document.documentElement.dataset.theme;
	else document.documentElement.dataset.theme = theme;
	if (remember) localStorage.setItem(KEY, theme);
}

/** The theme the page shows now, resolving "system". */
export function effectiveTheme(theme: Theme): 'dark' | 'light' {
	if (theme !== 'system') return theme;
	return matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}
