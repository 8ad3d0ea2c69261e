/**
 * Starting a real VS Code (code-server 4.100.3, see ../shared/notes/vscode-testing.md) and Debian's
 * chromium through playwright-core, for the extension suites and the UI test.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium, Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CODE_SERVER = path.join(ROOT, '.vscode-test', 'code-server-4.100.3');
export const CHROMIUM = process.env.SEGLAB_CHROMIUM ?? '/usr/bin/chromium';

export function checkPrerequisites(): void {
  if (!fs.existsSync(path.join(CODE_SERVER, '.installed'))) {
    throw new Error(`code-server is not installed in ${CODE_SERVER}; run scripts/install-code-server.sh (npm test does)`);
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}; install Debian's chromium or set SEGLAB_CHROMIUM`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Workbench {
  port: number;
  url(folder: string, payload?: [string, string][]): string;
  page: Page;
  browser: Browser;
  logs: string[];
  stop(): Promise<void>;
}

/** HOME and XDG folders under `home`, so that code-server and chromium never write into the real home. */
function isolatedEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    SEGLAB_BACKEND: 'wasm',
  };
}

/**
 * Installs a .vsix into a fresh home's extensions folder the way a user does
 * (`code-server --install-extension`, offline). Returns that home for `startWorkbench`.
 */
export function installVsix(vsix: string): { home: string; output: string } {
  checkPrerequisites();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-vscode-'));
  const r = spawnSync(
    process.execPath,
    [
      path.join(CODE_SERVER, 'out', 'node', 'entry.js'),
      '--user-data-dir',
      path.join(home, 'user-data'),
      '--extensions-dir',
      path.join(home, 'extensions'),
      '--install-extension',
      vsix,
    ],
    { env: isolatedEnv(home), encoding: 'utf8', timeout: 120_000 },
  );
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${output}`);
  return { home, output };
}

/**
 * Starts code-server and chromium; `home` reuses a home prepared by `installVsix`. `untrusted`:
 * workspace trust stays on and the folder opens in restricted mode (no startup prompt).
 */
export async function startWorkbench(o: { home?: string; env?: Record<string, string>; untrusted?: boolean } = {}): Promise<Workbench> {
  checkPrerequisites();
  const port = await freePort();
  const home = o.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-vscode-'));
  const env = { ...isolatedEnv(home), ...o.env };
  if (o.untrusted) {
    const user = path.join(home, 'user-data', 'User');
    fs.mkdirSync(user, { recursive: true });
    fs.writeFileSync(
      path.join(user, 'settings.json'),
      JSON.stringify({
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.emptyWindow': false,
      }),
    );
  }
  const logs: string[] = [];
  const server: ChildProcess = spawn(
    process.execPath,
    [
      path.join(CODE_SERVER, 'out', 'node', 'entry.js'),
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(o.untrusted ? [] : ['--disable-workspace-trust']),
      '--user-data-dir',
      path.join(home, 'user-data'),
      '--extensions-dir',
      path.join(home, 'extensions'),
      '--bind-addr',
      `127.0.0.1:${port}`,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout?.on('data', (b: Buffer) => logs.push(b.toString()));
  server.stderr?.on('data', (b: Buffer) => logs.push(b.toString()));
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (i > 120) throw new Error(`code-server did not start:\n${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  return {
    port,
    page,
    browser,
    logs,
    url(folder, payload) {
      const q = `folder=${encodeURIComponent(folder)}${payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
      return `http://127.0.0.1:${port}/?${q}`;
    },
    async stop() {
      await browser.close().catch(() => undefined);
      try {
        process.kill(-server.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 300));
      try {
        process.kill(-server.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A vscode-remote URI for a path on this machine, as code-server's payload expects. */
export function remote(port: number, p: string): string {
  return `vscode-remote://127.0.0.1:${port}${p}`;
}
