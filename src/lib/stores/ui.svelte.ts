export const ui = new (class {
	settingsSheetOpen = $state(false);
})();
