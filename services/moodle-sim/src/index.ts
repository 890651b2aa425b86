/**
 * @moodle-mcp/moodle-sim — a Moodle REST web service simulator with a seeded
 * data set, for tests, benchmarks and the demo mode.
 */
export { startSim, WS_PATH, type SimHandle, type SimOptions } from './server.js';
export { DEMO_TOKEN, TEACHER_TOKEN, STUDENT_TOKEN, RESTRICTED_TOKEN, defaultTokens, teacherTokens, testTokens, type TokenSpec } from './auth/tokens.js';
export { DEMO_TEACHERS, SIM_SERVICE_SHORTNAME, type DemoTeacher } from './auth/demoTeachers.js';
export { SEED } from './seedIds.js';
export { FAULT_MODES, parseFaultSpec, type FaultMode, type FaultSpec, type FaultConfig } from './faults.js';
export { FUNCTION_NAMES } from './functions/index.js';
export type { StatsSnapshot } from './stats.js';
export { decodeForm, type PhpArray, type PhpValue } from './http/decode.js';
export { MOODLE_RELEASE, MOODLE_VERSION } from './functions/core_course.js';
