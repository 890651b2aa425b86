/**
 * A teacher's session that runs alongside the abuse: the MCP SDK's own
 * Client over ncat through the VIP, calling tools one after another. Any
 * failed call, tool error or wrong answer is an error of the suite.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SEED } from '../../services/moodle-sim/src/seedIds.js';
import { connectViaNcat, resultText } from '../helpers/mcp.js';

const CALLS: ((c: Client) => Promise<string | undefined>)[] = [
  async (c) => {
    const r = await c.callTool({ name: 'get_courses', arguments: { perPage: 3 } });
    const n = (r.structuredContent as { courses?: unknown[] } | undefined)?.courses?.length;
    return r.isError ? resultText(r) : n === 3 ? undefined : `get_courses returned ${n} courses, not 3`;
  },
  async (c) => {
    const r = await c.callTool({ name: 'get_assignments', arguments: { courseId: SEED.courseId } });
    return r.isError ? resultText(r) : undefined;
  },
  async (c) => ((await c.listTools()).tools.some((t) => t.name === 'get_site_info') ? undefined : 'tools/list lacks get_site_info'),
  async (c) => {
    await c.ping();
    return undefined;
  },
];

export class WellBehavedSession {
  calls = 0;
  readonly errors: string[] = [];
  private stopped = false;
  private loop?: Promise<void>;

  private constructor(private readonly client: Client) {}

  /** Connects and calls a tool every `intervalMs` until stop(), `maxCalls` or `deadline` (epoch ms). */
  static async start(host: string, port: number, opts: { intervalMs: number; maxCalls: number; deadline: number }): Promise<WellBehavedSession> {
    const session = new WellBehavedSession(await connectViaNcat(host, port, 'well-behaved-teacher'));
    session.loop = session.run(opts);
    return session;
  }

  private async run(opts: { intervalMs: number; maxCalls: number; deadline: number }): Promise<void> {
    while (!this.stopped && this.calls < opts.maxCalls && Date.now() < opts.deadline) {
      const call = CALLS[this.calls % CALLS.length]!;
      this.calls++;
      try {
        const problem = await call(this.client);
        if (problem) this.errors.push(problem);
      } catch (err) {
        this.errors.push(err instanceof Error ? err.message : String(err));
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
  }

  /** Ends the loop after its current call, then the session. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.client.close().catch(() => undefined);
  }
}
