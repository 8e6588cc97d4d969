// The chat pages render in the browser only: the same HTML shell serves every one of them, so
// the service worker can keep that shell and open any conversation offline from the device cache.
export const ssr = false;
