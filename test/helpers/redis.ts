/**
 * A real Redis server for the queue tests: `REDIS_URL` if set, else a `redis-server` started on
 * a free loopback port with its data in a temp folder (append-only file, so a restart keeps the
 * queue, as a production Redis with persistence would). Where neither exists the caller's test
 * is skipped with the reason, never passed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface RedisServer {
  url: string;
  /** Stop the server (SIGTERM: it writes its data) and start it again on the same port and data. Null for REDIS_URL. */
  restart: ((downMs: number) => Promise<void>) | null;
  stop(): Promise<void>;
}

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    server.close(() => resolve(port));
  });
});

/** Whether a Redis answers PING on the port. */
const answers = (port: number): Promise<boolean> => new Promise((resolve) => {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.once('error', () => resolve(false));
  socket.once('connect', () => socket.write('PING\r\n'));
  socket.once('data', (d) => { socket.destroy(); resolve(d.toString().startsWith('+PONG')); });
});

async function waitUntil(what: string, ok: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A Redis for the test, or null after `t.skip(reason)`. */
export async function startRedis(t: TestContext): Promise<RedisServer | null> {
  const given = process.env.REDIS_URL;
  if (given) return { url: given, restart: null, stop: async () => undefined };
  if (spawnSync('redis-server', ['--version']).error) {
    t.skip('needs a Redis server: redis-server is not installed (apt-get install redis-server) and REDIS_URL is not set');
    return null;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-redis-'));
  let server: ChildProcess;
  const start = async (): Promise<void> => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    await waitUntil(`redis-server on port ${port}`, () => answers(port));
  };
  const stop = async (): Promise<void> => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    restart: async (downMs) => {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop,
  };
}
