import { createHash } from 'node:crypto';

const names = new Map<string, string>();

/**
 * The name under which a statement is prepared: the same for the same text
 * on every pooled connection, so that PostgreSQL plans each statement once
 * per connection instead of on every call (planning was most of its time
 * per request on the read paths). The texts come from a fixed set in the
 * code, with every value a parameter, so this map and the statements
 * prepared on a connection stay few.
 */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `s_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}
