import { escapeLiteral } from 'pg';

/**
 * Renders the `$n` parameters of one statement as SQL literals, for
 * {@link UnitOfWork.readOnce}: a simple-protocol message (the only way to
 * send several statements in one round trip; node-postgres cannot pipeline)
 * takes no parameters. Strings go through pg's own `escapeLiteral` (quotes
 * doubled, backslashes escaped with the E'' form, whatever
 * standard_conforming_strings says), so any text is safe; other values are
 * accepted only when their text form is unambiguous. Like a parameter, a
 * literal takes its type from its context, so the statement means the same
 * as its parameterized form.
 */
export function inlineParameters(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, position: string) => {
    const index = Number(position) - 1;
    if (index < 0 || index >= params.length) throw new Error(`no value for parameter $${position}`);
    return sqlLiteral(params[index]);
  });
}

function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return escapeLiteral(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date && !Number.isNaN(value.getTime())) return escapeLiteral(value.toISOString());
  throw new Error(`unsupported SQL parameter value (${typeof value})`);
}
