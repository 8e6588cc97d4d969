import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { isAllowedHost, ownHostnames } from '$lib/server/host-check';

const own = () => ['pi', 'pi.local', '192.168.1.20', '[fd00::20]', '127.0.0.1', '[::1]'];

describe('isAllowedHost (no ORIGIN set)', () => {
	it.each([
		'localhost',
		'LOCALHOST',
		'app.localhost',
		'127.0.0.1',
		'127.1.2.3',
		'[::1]',
		'[::ffff:127.0.0.1]',
		'192.168.1.20',
		'[fd00::20]',
		'pi',
		'pi.local',
		'pi.local.'
	])('answers %s (loopback or this machine)', (host) => {
		expect(isAllowedHost(host, [], own)).toBe(true);
	});

	it.each([
		'evil.example',
		'rebind.evil.example',
		'localhost.evil.example',
		'127.0.0.1.nip.io',
		'192.168.1.21',
		'10.0.0.1',
		'[fd00::21]',
		'0.0.0.0',
		'pi.evil.example'
	])('refuses %s (DNS rebinding)', (host) => {
		expect(isAllowedHost(host, [], own)).toBe(false);
	});

	it('answers the names in ALLOWED_HOSTS', () => {
		expect(isAllowedHost('hearth.lan', ['hearth.lan'], own)).toBe(true);
		expect(isAllowedHost('Hearth.LAN', ['hearth.lan'], own)).toBe(true);
		expect(isAllowedHost('other.lan', ['hearth.lan'], own)).toBe(false);
	});

	it("knows this machine's real addresses", () => {
		const names = ownHostnames();
		expect(names).toContain(os.hostname().toLowerCase());
		for (const list of Object.values(os.networkInterfaces()))
			for (const { address, family } of list ?? [])
				if (family === 'IPv4') expect(names).toContain(address);
	});
});
