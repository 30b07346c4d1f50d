import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;

function scryptAsync(password: string, salt: Buffer, cost: number, blockSize: number, parallel: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { N: cost, r: blockSize, p: parallel, maxmem: 256 * cost * blockSize }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/**
 * scrypt (memory-hard, from node:crypto) with a random salt per password,
 * stored as `scrypt$N$r$p$salt$hash` so the cost can rise without breaking
 * old hashes. Comparison is constant-time.
 */
@Injectable()
export class PasswordHasher {
  private readonly cost: number;
  /** Verified against when the user does not exist, so both answers take as long. */
  private dummyHash?: Promise<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.cost = 2 ** config.PASSWORD_HASH_COST;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(password, salt, this.cost, BLOCK_SIZE, 1);
    return ['scrypt', this.cost, BLOCK_SIZE, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const encoded = stored ?? (await (this.dummyHash ??= this.hash('not-a-real-password')));
    const [scheme, cost, blockSize, parallel, salt, expected] = encoded.split('$');
    if (scheme !== 'scrypt') return false;
    const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), Number(cost), Number(blockSize), Number(parallel));
    const matches = timingSafeEqual(key, Buffer.from(expected, 'base64url'));
    return matches && stored !== undefined;
  }
}
