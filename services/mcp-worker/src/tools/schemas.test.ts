import { z } from 'zod';
import { allTools } from './index.js';

/**
 * The server converts every schema with z.toJSONSchema once at start and
 * lists the tools to assistants; these are the promises it relies on.
 */
describe('tool definitions', () => {
  it('has the contracted tool names, each once, in a stable order', () => {
    expect(allTools.map((t) => t.name)).toEqual([
      'get_site_info',
      'get_courses',
      'search_courses',
      'get_course_contents',
      'list_students',
      'get_assignments',
      'get_submissions',
      'provide_assignment_feedback',
      'get_quizzes',
      'get_quiz_attempts',
      'get_grades',
      'get_upcoming_deadlines',
      'get_forum_discussions',
    ]);
  });

  it.each(allTools.map((t) => [t.name, t] as const))('%s converts to JSON Schema (input and output)', (_name, tool) => {
    const input = z.toJSONSchema(tool.inputSchema, { io: 'input' });
    const output = z.toJSONSchema(tool.outputSchema, { io: 'output' });
    expect(input.type).toBe('object');
    expect(output.type).toBe('object');
  });

  it.each(allTools.map((t) => [t.name, t] as const))('%s describes itself and every input field for an assistant', (_name, tool) => {
    expect(tool.title.length).toBeGreaterThan(5);
    expect(tool.description.length).toBeGreaterThan(120);
    const input = z.toJSONSchema(tool.inputSchema, { io: 'input' }) as { properties?: Record<string, { description?: string }> };
    for (const [field, schema] of Object.entries(input.properties ?? {})) {
      expect({ field, description: schema.description ?? '' }).toEqual({ field, description: expect.stringMatching(/.{10,}/) });
    }
  });

  it('lists the Moodle functions each tool calls', () => {
    for (const tool of allTools) {
      expect(tool.wsfunctions.length).toBeGreaterThan(0);
      for (const fn of tool.wsfunctions) expect(fn).toMatch(/^[a-z]+_[a-z0-9_]+$/);
    }
  });

  it('marks only provide_assignment_feedback as a write', () => {
    expect(allTools.filter((t) => t.write).map((t) => t.name)).toEqual(['provide_assignment_feedback']);
  });

  it('tells the assistant where course-scoped ids come from', () => {
    for (const tool of allTools) {
      if ('courseId' in tool.inputSchema.shape) expect(tool.description).toMatch(/get_courses|search_courses/);
    }
  });
});
