/** Latency and fault injection, set by option, by handle and over HTTP. */
import { DEMO_TOKEN } from './auth/tokens';
import type { SimHandle } from './server';
import { call, rawCall } from './testing/call';
import { startTestSim } from './testing/fixture';

let sim: SimHandle;
beforeEach(async () => {
  sim = await startTestSim();
});
afterEach(() => sim.stop());

const siteInfo = () => rawCall(sim.url, 'core_webservice_get_site_info', {}, { token: DEMO_TOKEN });
const putFaults = (body: unknown) => fetch(`${sim.url}/__sim/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
async function elapsed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

describe('fault configuration', () => {
  it('is validated and read back over HTTP', async () => {
    const bad = await putFaults({ mode: 'explode', rate: 2 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/mode.*rate|rate.*mode/s);
    expect((await putFaults({ mode: 'none', extra: 1 })).status).toBe(400);
    const ok = await putFaults({ mode: 'http500', functions: ['core_course_get_courses'], rate: 0.5 });
    expect(ok.status).toBe(200);
    expect(await (await fetch(`${sim.url}/__sim/faults`)).json()).toMatchObject({ mode: 'http500', functions: ['core_course_get_courses'], rate: 0.5, latencyMs: 0 });
  });

  it('rejects an invalid spec passed to setFaults', () => {
    expect(() => sim.setFaults({ mode: 'slow', slowMs: -1 })).toThrow(/slowMs/);
  });
});

describe('fault modes', () => {
  it('latencyMs delays every answer', async () => {
    sim.setFaults({ latencyMs: 150 });
    const [r, ms] = await elapsed(siteInfo);
    expect(r.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(140);
  });

  it('the latencyMs option applies from the start', async () => {
    const slow = await startTestSim({ latencyMs: 120 });
    try {
      const [, ms] = await elapsed(() => rawCall(slow.url, 'core_webservice_get_site_info', {}, { token: DEMO_TOKEN }));
      expect(ms).toBeGreaterThanOrEqual(110);
    } finally {
      await slow.stop();
    }
  });

  it('down destroys the connection', async () => {
    sim.setFaults({ mode: 'down' });
    await expect(siteInfo()).rejects.toThrow();
    expect(sim.stats().total).toBe(1);
  });

  it('timeout never answers, and stop() still finishes', async () => {
    sim.setFaults({ mode: 'timeout' });
    await expect(rawCall(sim.url, 'core_webservice_get_site_info', {}, { token: DEMO_TOKEN, signal: AbortSignal.timeout(200) })).rejects.toThrow(/abort|timeout/i);
    const pending = siteInfo();
    await sim.stop();
    await expect(pending).rejects.toThrow();
  });

  it('slow adds slowMs on top of the latency', async () => {
    sim.setFaults({ mode: 'slow', slowMs: 200 });
    const [r, ms] = await elapsed(siteInfo);
    expect(r.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(190);
  });

  it('http500 answers HTTP 500 with an HTML page', async () => {
    sim.setFaults({ mode: 'http500' });
    const r = await siteInfo();
    expect([r.status, r.contentType]).toEqual([500, 'text/html; charset=utf-8']);
  });

  it('garbage answers 200 with a body that is not JSON', async () => {
    sim.setFaults({ mode: 'garbage' });
    const r = await siteInfo();
    expect(r.status).toBe(200);
    expect(() => JSON.parse(r.text)).toThrow();
  });

  it('exception answers a Moodle exception body with the given errorcode', async () => {
    sim.setFaults({ mode: 'exception', errorcode: 'servicerequireslogin', message: 'Web service is not available' });
    expect(await call(sim.url, DEMO_TOKEN, 'core_webservice_get_site_info')).toEqual({ exception: 'moodle_exception', errorcode: 'servicerequireslogin', message: 'Web service is not available' });
  });

  it('applies only to the listed functions', async () => {
    sim.setFaults({ mode: 'http500', functions: ['core_course_get_courses'] });
    expect((await siteInfo()).status).toBe(200);
    expect((await rawCall(sim.url, 'core_course_get_courses', {}, { token: DEMO_TOKEN })).status).toBe(500);
  });

  it('hits a seeded, reproducible share of requests with rate', async () => {
    const pattern = async (s: SimHandle): Promise<number[]> => {
      s.setFaults({ mode: 'http500', rate: 0.5 });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await rawCall(s.url, 'core_webservice_get_site_info', {}, { token: DEMO_TOKEN })).status);
      return out;
    };
    const first = await pattern(sim);
    const other = await startTestSim();
    try {
      expect(await pattern(other)).toEqual(first);
    } finally {
      await other.stop();
    }
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(3);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(3);
  });

  it('mode none restores normal answers', async () => {
    sim.setFaults({ mode: 'http500' });
    await putFaults({ mode: 'none' });
    expect((await siteInfo()).status).toBe(200);
  });
});
