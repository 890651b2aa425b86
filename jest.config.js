/**
 * One jest run over every workspace. Tests are TypeScript, compiled by ts-jest
 * against the same strict settings as the build; workspace packages resolve to
 * their sources so a test never runs stale `dist/` code of another package.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/bench', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    '^@moodle-mcp/common$': '<rootDir>/packages/common/src/index.ts',
    '^@moodle-mcp/moodle-sim$': '<rootDir>/services/moodle-sim/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testTimeout: 60000,
};
