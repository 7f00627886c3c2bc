/**
 * Debian's Chromium driven by playwright-core, and the demo page served by Vite, for the
 * browser tests and the browser benchmark. Chromium starts headless with background
 * networking off (this machine's network is closed) and a fresh profile.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('../../../', import.meta.url).pathname;

/** Why browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (Debian: apt-get install -y chromium; .ci/run installs it)`;
}

export interface BrowserSession {
  url: string;
  context: BrowserContext;
  /** A new page that records uncaught errors into `errors`. */
  open(path: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** The demo's Vite dev server on a free loopback port, and a Chromium with a fresh profile. */
export async function startBrowserSession(): Promise<BrowserSession> {
  const server: ViteDevServer = await createServer({
    configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error', clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
  });
  await server.listen();
  const url = server.resolvedUrls!.local[0]!;
  const profile = mkdtempSync(join(tmpdir(), 'hyperrl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    url, context,
    async open(path) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(new URL(path, url).href);
      return { page, errors };
    },
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
