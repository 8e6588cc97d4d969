// Debian's nginx as a TLS reverse proxy on loopback in front of a test server, with a certificate
// made for the run (openssl) for a public-looking hostname that resolves to 127.0.0.1 only
// inside the test's own HTTP client. gzip is on, for text/event-stream too, on purpose.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { freePort } from './ports';

export interface ReverseProxy {
	/** https://<hostname>:<port>, the public origin. */
	origin: string;
	/** fetch through the proxy: trusts the run's certificate, resolves the hostname locally. */
	fetch(pathname: string, init?: Parameters<typeof undiciFetch>[1]): ReturnType<typeof undiciFetch>;
	log(): string;
	stop(): Promise<void>;
}

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));

export async function startNginx(options: {
	upstream: string;
	hostname: string;
	/** The header nginx sets to the peer's address (and overwrites whatever the client sent). */
	clientIpHeader: string;
}): Promise<ReverseProxy> {
	if (!NGINX) throw new Error('nginx not found (apt-get install -y nginx)');
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-nginx-'));
	const cert = path.join(dir, 'cert.pem');
	const key = path.join(dir, 'key.pem');
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:prime256v1',
			'-nodes',
			'-keyout',
			key,
			'-out',
			cert,
			'-days',
			'1',
			'-subj',
			`/CN=${options.hostname}`,
			'-addext',
			`subjectAltName=DNS:${options.hostname}`
		],
		{ stdio: 'ignore' }
	);
	const port = await freePort();
	const upstream = new URL(options.upstream);
	fs.mkdirSync(path.join(dir, 'tmp'));
	const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 128; }
http {
	access_log off;
	client_body_temp_path ${dir}/tmp/body;
	proxy_temp_path ${dir}/tmp/proxy;
	fastcgi_temp_path ${dir}/tmp/fastcgi;
	uwsgi_temp_path ${dir}/tmp/uwsgi;
	scgi_temp_path ${dir}/tmp/scgi;
	gzip on;
	gzip_proxied any;
	gzip_min_length 0;
	gzip_types text/event-stream application/json text/plain;
	server {
		listen 127.0.0.1:${port} ssl;
		server_name ${options.hostname};
		ssl_certificate ${cert};
		ssl_certificate_key ${key};
		location / {
			proxy_pass http://${upstream.host};
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_set_header Connection "";
			proxy_set_header ${options.clientIpHeader} $remote_addr;
			proxy_read_timeout 1h;
		}
	}
}
`;
	const confPath = path.join(dir, 'nginx.conf');
	fs.writeFileSync(confPath, conf);
	const child = spawn(NGINX, ['-p', dir, '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stderr!.on('data', (d) => (output += d));
	const ca = fs.readFileSync(cert, 'utf8');
	const dispatcher = new Agent({
		connect: {
			ca,
			servername: options.hostname,
			lookup: (_host, opts, callback) => {
				const done = callback as (e: null, a: unknown, f?: number) => void;
				if ((opts as { all?: boolean }).all) done(null, [{ address: '127.0.0.1', family: 4 }]);
				else done(null, '127.0.0.1', 4);
			}
		}
	});
	const origin = `https://${options.hostname}:${port}`;
	const deadline = Date.now() + 10_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`nginx exited:\n${output}`);
		try {
			await undiciFetch(`${origin}/healthz`, { dispatcher });
			break;
		} catch (error) {
			if (Date.now() > deadline)
				throw new Error(`nginx did not start:\n${output}`, { cause: error });
			await new Promise((r) => setTimeout(r, 50));
		}
	}
	return {
		origin,
		fetch: (pathname, init) => undiciFetch(`${origin}${pathname}`, { ...init, dispatcher }),
		log: () =>
			output +
			(fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8') : ''),
		async stop() {
			await dispatcher.close();
			if (child.exitCode === null) {
				const exited = new Promise((r) => child.once('exit', r));
				child.kill('SIGQUIT');
				await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
				if (child.exitCode === null) child.kill('SIGKILL');
			}
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
