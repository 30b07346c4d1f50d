/**
 * NestJS 12 ships ESM only and Jest's module loader cannot `require` ESM on
 * Node 20, so @swc/jest compiles those packages to CommonJS too (cached after
 * the first run). Everything else in node_modules is left alone.
 */
// PGlite's CommonJS build still calls import(), which Jest's VM refuses without a flag.
const ESM_PACKAGES = ['@nestjs', '@electric-sql', 'file-type', 'strtok3', 'token-types', 'peek-readable', 'uint8array-extras', 'content-disposition', '@tokenizer'];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

module.exports = {
  // Shared 2-core machines: suites boot a whole service and run thousands of
  // requests; no test asserts on time, this only catches hangs.
  testTimeout: 600_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    { ...base, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.spec.ts'] },
  ],
};
