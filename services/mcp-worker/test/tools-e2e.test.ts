import path from 'node:path';
import { existsSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SEED, startSim, type SimHandle } from '@moodle-mcp/moodle-sim';
import { connectViaNcat, resultText } from '../../../test/helpers/mcp.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';

/** Valid arguments for every tool, on the simulator's seeded data. */
const CALLS: Record<string, Record<string, unknown>> = {
  get_site_info: {},
  get_courses: {},
  search_courses: { query: 'biology' },
  get_course_contents: { courseId: SEED.courseId },
  list_students: { courseId: SEED.courseId },
  get_assignments: { courseId: SEED.courseId },
  get_submissions: { assignmentId: SEED.assignmentId },
  provide_assignment_feedback: {
    assignmentId: SEED.assignmentId,
    userId: SEED.ungradedStudentId,
    grade: 88,
    feedback: 'Clear method; discuss the control group.',
  },
  get_quizzes: { courseId: SEED.courseId },
  get_quiz_attempts: { quizId: SEED.quizId, userId: SEED.gradedStudentId },
  get_grades: { courseId: SEED.courseId },
  get_upcoming_deadlines: { daysAhead: 30 },
  get_forum_discussions: { courseId: SEED.courseId },
};

/**
 * The acceptance path: the MCP SDK's own Client, launching `ncat` as
 * a teacher's client would, lists the tools and calls every one against a
 * worker backed by moodle-sim — and the same over the stdio mode.
 */
async function exerciseEveryTool(client: Client, sim: SimHandle): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(CALLS).sort());
  for (const t of tools) {
    expect(t.outputSchema).toBeDefined();
    expect(t.annotations?.readOnlyHint).toBe(t.name !== 'provide_assignment_feedback');
  }
  sim.resetStats();
  for (const [name, args] of Object.entries(CALLS)) {
    // The SDK client validates structuredContent against the tool's outputSchema.
    const result = await client.callTool({ name, arguments: args });
    expect({ name, isError: result.isError ?? false, text: resultText(result).slice(0, 300) }).toEqual({ name, isError: false, text: expect.any(String) });
    expect(result.structuredContent).toBeDefined();
    expect(resultText(result).length).toBeGreaterThan(0);
  }
  // Every call reached the simulator (the worker has no cache yet).
  expect(sim.stats().total).toBeGreaterThanOrEqual(Object.keys(CALLS).length);

  const site = await client.callTool({ name: 'get_site_info', arguments: {} });
  expect(resultText(site)).toContain('Tessa Lindqvist');
  const courses = (await client.callTool({ name: 'get_courses', arguments: {} })).structuredContent as { courses: { id: number }[] };
  expect(courses.courses.map((c) => c.id)).toContain(SEED.courseId);
  const subs = (await client.callTool({ name: 'get_submissions', arguments: { assignmentId: SEED.assignmentId, userId: SEED.ungradedStudentId } }))
    .structuredContent as Record<string, unknown>;
  // The feedback saved above is what Moodle now reports.
  expect(JSON.stringify(subs)).toContain('88');
}

describe('every tool over ncat (network mode)', () => {
  let stack: TestStack;
  let client: Client;
  beforeAll(async () => {
    stack = await startStack();
    client = await connectViaNcat('127.0.0.1', stack.port);
  });
  afterAll(async () => {
    await client?.close();
    await stack.stop();
  });

  it('initializes, lists the tools and calls every one, getting the simulator data', async () => {
    expect(client.getServerVersion()?.name).toBe('moodle-mcp-worker');
    await exerciseEveryTool(client, stack.sim);
  });

  it('logs each call with session id, tool, duration and outcome, and never the token', () => {
    const calls = stack.logs.lines.filter((l) => l.message === 'tool call');
    expect(calls.length).toBeGreaterThanOrEqual(13);
    expect(calls[0]).toEqual(
      expect.objectContaining({
        service: 'mcp-worker',
        sessionId: expect.any(String),
        tool: expect.any(String),
        durationMs: expect.any(Number),
        outcome: 'ok',
      }),
    );
    expect(stack.logs.text()).not.toContain(stack.config.MOODLE_TOKEN);
  });
});

describe('every tool over stdio (local mode)', () => {
  const main = path.resolve(__dirname, '../dist/main.js');
  let sim: SimHandle;
  let client: Client;
  let stderr = '';
  beforeAll(async () => {
    if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first (make test does)`);
    sim = await startSim({ port: 0 });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [main, '--stdio'],
      env: { PATH: process.env.PATH ?? '', MOODLE_URL: sim.url, MOODLE_TOKEN: sim.token, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += d));
    client = new Client({ name: 'jest-stdio', version: '1.0.0' });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
    await sim?.stop();
  });

  it('initializes, lists the tools and calls every one, logs only on stderr', async () => {
    await exerciseEveryTool(client, sim);
    // stdout carries only the protocol (the client would have failed otherwise); logs are JSON on stderr.
    const logs = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs).toContainEqual(expect.objectContaining({ service: 'mcp-worker', level: 'info', message: 'starting', mode: 'stdio' }));
    expect(logs).toContainEqual(expect.objectContaining({ message: 'tool call', tool: 'get_grades', outcome: 'ok' }));
    expect(stderr).not.toContain(sim.token);
  });
});
