import { Foundation1764000000000 } from './1764000000000-foundation';
import { Identity1764000000100 } from './1764000000100-identity';

/** Every migration, in order. A feature adds its own here. */
export const MIGRATIONS = [Foundation1764000000000, Identity1764000000100];
