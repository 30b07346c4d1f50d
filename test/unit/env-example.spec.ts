import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema, loadConfig } from '../../src/config/app-config';

const listed = readFileSync(join(__dirname, '../../.env.example'), 'utf8')
  .split('\n')
  .filter((line) => /^[A-Z_]+=/.test(line))
  .map((line) => line.split('=')[0]);

describe('.env.example', () => {
  it('lists every setting of the schema, and nothing else', () => {
    expect([...listed].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });

  it('holds values the schema accepts', () => {
    const values = Object.fromEntries(
      readFileSync(join(__dirname, '../../.env.example'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    expect(() => loadConfig(values)).not.toThrow();
  });
});
