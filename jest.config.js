// Two tiers, told apart by file suffix: *.spec.ts (unit, beside the code) and *.int-spec.ts (integration).
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleNameMapper: {
    '^@pointsweep/(contracts|messaging|client|banking)$': '<rootDir>/libs/$1/src/index.ts',
    '^@pointsweep/(identity|issuer-aggregation|conversion-ledger|bank-settlement|simulators)$': '<rootDir>/services/$1/src/index.ts',
    '^@pointsweep/(bench|cli)$': '<rootDir>/tools/$1/src/index.ts',
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/test'],
};
module.exports = {
  // Always end with the list of failing tests (by default only from 20 suites on): CI logs are read from the tail.
  reporters: [['default', { summaryThreshold: 0 }]],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/harness/integration-timeout.ts'],
    },
  ],
};
