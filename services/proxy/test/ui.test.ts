import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSim, type SimHandle } from '@moodle-mcp/moodle-sim';
import { loadProxyConfig, type ProxyConfig } from '../src/config.js';
import { startProxy, type ProxyHandle } from '../src/proxy.js';
import { captureLogger } from '../../../test/helpers/captureLogger.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

/**
 * The live dashboard (/ui) in Debian's headless Chromium, against a real
 * proxy that deep-checks three real in-process workers (one shared
 * moodle-sim): primary [w1, w2] and standby [w3]. The tests run in order and
 * share one page, which is never reloaded: every change must reach it over /ws.
 */
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'ui-test-admin-token-0123456789';
const SCREENSHOT = '/tmp/proxy-ui.png';

let sim: SimHandle;
const workers = new Map<string, TestStack>();
let tmp: string;
let config: ProxyConfig;
let proxy: ProxyHandle;
let browser: Browser;
let page: Page;
/** Uncaught errors of the page's scripts: there must be none. */
const pageErrors: string[] = [];
const logs = captureLogger('proxy', [TOKEN]);

const apiStatus = async () =>
  (await (await fetch(`${proxy.url}/api/proxy/status`)).json()) as {
    active: { target: string; reason: string };
    targets: { name: string; workers: { name: string; drained: boolean; status: string }[] }[];
  };
const apiWorker = async (name: string) => (await apiStatus()).targets.flatMap((t) => t.workers).find((w) => w.name === name)!;

/** Waits until `read()` on the page gives `want` (exactly, or matching); fails with what the page showed last. */
function pageShows(what: string, read: () => Promise<string | null>, want: string | RegExp, timeoutMs = 10_000) {
  return waitFor(
    what,
    async () => {
      const got = ((await read()) ?? '').trim();
      if (typeof want === 'string' ? got === want : want.test(got)) return true;
      throw new Error(`the page shows "${got}"`);
    },
    { timeoutMs },
  );
}
const cell = (worker: string, field: string) => () => page.locator(`[data-worker="${worker}"] [data-field="${field}"]`).textContent();
const activeCard = () => page.locator('article.target.is-active').getAttribute('data-target');
const message = () => page.locator('#message').textContent();
const latestEvent = () => page.locator('#events li').first().textContent();
const button = (name: string) => page.getByRole('button', { name, exact: true });

async function useToken(token: string) {
  await page.getByLabel('Admin token').fill(token);
  await button('Use token').click();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-deps.sh as root, or apt-get install chromium`);
  sim = await startSim({ port: 0 });
  for (const name of ['w1', 'w2', 'w3']) workers.set(name, await startStack({ WORKER_ID: name }, { shared: sim }));
  const w = (name: string) => ({ name, host: '127.0.0.1', mcpPort: workers.get(name)!.port, httpPort: workers.get(name)!.worker.httpPort });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'proxy-ui-'));
  const file = path.join(tmp, 'proxy.json');
  writeFileSync(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      targets: [
        { name: 'primary', priority: 1, minHealthy: 1, workers: [w('w1'), w('w2')] },
        { name: 'standby', priority: 2, minHealthy: 1, workers: [w('w3')] },
      ],
      failoverThreshold: 2,
      healthCheckIntervalMs: 300,
      haproxy: { socket: '' },
      lockFile: path.join(tmp, 'active_system.lock'),
      logging: { dir: path.join(tmp, 'logs') },
    }),
  );
  config = loadProxyConfig({ PROXY_CONFIG_FILE: file, PROXY_ADMIN_TOKEN: TOKEN });
  proxy = await startProxy(config, { logger: logs.logger });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${proxy.url}/ui/`);
  // Set once; a reload would lose it, so its presence proves every later change arrived live.
  await page.evaluate('window.__sameDocument = true');
});

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  for (const w of workers.values()) await w.stop();
  await sim?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  // No test may get its result by reloading the page, and the page's scripts never throw.
  if (page) expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
  expect(pageErrors).toEqual([]);
});

describe('proxy dashboard /ui in headless Chromium', () => {
  it('lists both targets and all three workers, with primary ACTIVE and every worker up', async () => {
    await pageShows('the live indicator', () => page.locator('#connection').textContent(), 'live');
    expect(await Promise.all((await page.locator('[data-target]').all()).map((t) => t.getAttribute('data-target')))).toEqual(['primary', 'standby']);
    expect(await page.locator('[data-worker]').count()).toBe(3);
    for (const w of ['w1', 'w2', 'w3']) await pageShows(`${w} up`, cell(w, 'status'), 'up');
    await pageShows('primary active', activeCard, 'primary');
    expect(await page.locator('#active-target').textContent()).toBe('primary');
    expect(await page.locator('#active-reason').textContent()).toMatch(/start/);
    expect(await page.locator('[data-target="primary"] [data-field="passing"]').textContent()).toMatch(/^2\/2 workers passing/);
    expect(await cell('w1', 'latency')()).toMatch(/^\d+ ms$/);
    expect(await button('Switch to standby').isVisible()).toBe(true);
    expect(await button('Switch to primary').count()).toBe(0);
  });

  it('shows a stopped worker as down, with its error, without a reload (pushed over /ws)', async () => {
    await workers.get('w1')!.worker.stop();
    await pageShows('w1 down', cell('w1', 'status'), 'down');
    expect(await cell('w1', 'error')()).toMatch(/connection refused/);
    await pageShows('the newest event first', latestEvent, /worker w1 \(primary\) is down/);
    await pageShows('primary passing count', () => page.locator('[data-target="primary"] [data-field="passing"]').textContent(), /^1\/2 workers passing/);
    expect(await activeCard()).toBe('primary');
  });

  it('refuses a switch without the admin token, or with a wrong one, showing the API 401 message; primary stays active', async () => {
    await button('Switch to standby').click();
    await pageShows('the 401 without a token', message, /HTTP 401 unauthorized\): this call changes the stack: send Authorization: Bearer/);
    expect((await apiStatus()).active.target).toBe('primary');

    await useToken('not-the-admin-token-0000');
    await button('Switch to standby').click();
    await pageShows('the 401 with a wrong token', message, /HTTP 401 unauthorized\): wrong admin token/);
    expect((await apiStatus()).active.target).toBe('primary');
    expect(await activeCard()).toBe('primary');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('switches to standby with the right token: standby is ACTIVE on the page and in the API; the token stays out of URL and localStorage', async () => {
    await useToken(TOKEN);
    await button('Switch to standby').click();
    await pageShows('standby active', activeCard, 'standby');
    await pageShows('the success message', message, 'Switch to standby: done.');
    const status = await apiStatus();
    expect(status.active.target).toBe('standby');
    expect(status.active.reason).toMatch(/^manual/);
    expect(await page.locator('#active-target').textContent()).toBe('standby');
    expect(await button('Switch to primary').isVisible()).toBe(true);
    await pageShows('the switch event', latestEvent, /manual: active target primary → standby/);
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
  });

  it('drains and re-enables a worker from its buttons, on the page and in the API', async () => {
    await button('Drain worker w3').click();
    await pageShows('w3 drained', cell('w3', 'drained'), 'drained');
    expect((await apiWorker('w3')).drained).toBe(true);
    await pageShows('the drain event', latestEvent, /worker w3 drained by api/);

    await button('Enable worker w3').click();
    await pageShows('w3 enabled', cell('w3', 'drained'), 'accepting');
    expect((await apiWorker('w3')).drained).toBe(false);
    expect(await button('Drain worker w3').isVisible()).toBe(true);
  });

  it('refuses a switch to an unhealthy target with the API 409 message unless force is ticked', async () => {
    await workers.get('w2')!.worker.stop();
    await pageShows('primary unhealthy', () => page.locator('[data-target="primary"] [data-field="health"]').textContent(), 'unhealthy');
    await button('Switch to primary').click();
    await pageShows('the 409', message, /HTTP 409 target_unhealthy\): target primary is not healthy .*tick "force" beside the button/);
    expect((await apiStatus()).active.target).toBe('standby');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await page.getByLabel('force (target is unhealthy)').check();
    await button('Switch to primary').click();
    await pageShows('the forced switch', message, 'Switch to primary (forced): done.');
    // primary has no passing worker: after failoverThreshold (2) bad rounds the proxy fails back over to standby.
    await pageShows(
      'the failover event',
      () => page.locator('#events li[data-type="switch"]').first().textContent(),
      /failover: active target primary → standby/,
    );
    await pageShows('standby active again', activeCard, 'standby');
    expect((await apiStatus()).active.reason).toMatch(/^failover/);
  });

  it('shows a "disconnected — reconnecting" banner while the proxy is gone and reconnects by itself', async () => {
    const port = proxy.port;
    await proxy.stop();
    await pageShows('the banner', () => page.locator('#banner').textContent(), /^Disconnected — reconnecting in \d+ s/);
    expect(await page.locator('#connection').textContent()).toBe('disconnected');

    proxy = await startProxy({ ...config, server: { ...config.server, port } }, { logger: logs.logger });
    await pageShows('the live indicator again', () => page.locator('#connection').textContent(), 'live', 20_000);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    // The restarted proxy restored standby from its lock file; its hello is what the page now shows.
    await pageShows('standby active after the restart', activeCard, 'standby');
    await pageShows('w3 up after the restart', cell('w3', 'status'), 'up');
  });

  it('never writes the admin token to the proxy log', () => {
    expect(logs.text()).not.toContain(TOKEN);
    expect(logs.lines.some((l) => l.message === 'refused an admin call')).toBe(true);
  });
});
