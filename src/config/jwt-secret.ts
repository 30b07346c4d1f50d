import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig, unusableDataDir } from './app-config';

/**
 * JWT_SECRET may be omitted outside production. With an embedded database on
 * disk, a secret is made once and kept beside the data, so tokens survive a
 * restart; otherwise a random one lives as long as the process.
 */
export function ensureJwtSecret(config: AppConfig): AppConfig {
  if (config.JWT_SECRET) return config;
  if (config.embeddedDatabase && !config.PGLITE_DATA_DIR.startsWith('memory://')) {
    const file = join(dirname(config.PGLITE_DATA_DIR), 'jwt-secret');
    if (!existsSync(file)) {
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
      } catch (error) {
        throw unusableDataDir(config.PGLITE_DATA_DIR, error);
      }
    }
    return { ...config, JWT_SECRET: readFileSync(file, 'utf8').trim() };
  }
  new Logger('Config').warn('JWT_SECRET is not set: using a random secret for this process only');
  return { ...config, JWT_SECRET: randomBytes(48).toString('base64url') };
}
