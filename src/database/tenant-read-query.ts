import { Query } from 'pg';
import type { QueryResult } from 'pg';
import { statementName } from './statement-names';

/** The transaction-local settings of a tenant-scoped read: the tenant, and read-only. */
const TENANT_SETUP = "SELECT set_config('app.tenant_id', $1, true), set_config('transaction_read_only', 'on', true)";

/** The parts of pg's connection this query writes to (not all in pg's type definitions). */
interface WireConnection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { name: string; text: string }): void;
  bind(message: { statement: string; values: unknown[] }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: object): void;
  sync(): void;
}

/** The parts of pg's Query this class builds on (not in pg's type definitions). */
interface QueryInternals {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: WireConnection): void;
}

type QueryCallback = (error: Error | undefined, result?: QueryResult) => void;
const PgQuery = Query as unknown as new (config: { name: string; text: string; values: unknown[]; callback: QueryCallback }) => QueryInternals;

/**
 * One tenant-scoped, read-only statement in one round trip, planned once per
 * pooled connection instead of on every request.
 *
 * Written by hand because node-postgres ends every query with its own Sync,
 * and a Sync ends the implicit transaction: it has no way to run the tenant
 * setting and the statement in one transaction without BEGIN and COMMIT
 * round trips. This query writes, at once:
 *
 *   Parse (the statement, named; on its first use on this connection only)
 *   Parse, Bind, Execute (the tenant setting, unnamed)
 *   Bind, Describe, Execute (the statement)
 *   Sync
 *
 * PostgreSQL runs everything before a Sync as one implicit transaction, so
 * the transaction-local settings hold for the statement and end with it, as
 * in a unit of work. The statement's Parse goes first because pg records a
 * statement as prepared on the first ParseComplete of its query: that way it
 * is recorded only when the statement's own Parse succeeded. The setting's
 * answer (a row and its CommandComplete) is skipped.
 *
 * The statement is named by {@link statementName}: texts must come from a
 * fixed set in the code, with every value a parameter.
 */
export class TenantReadQuery<T> extends PgQuery {
  /** The statement's rows, or its error. */
  readonly done: Promise<T[]>;
  private settingTenant = true;

  constructor(
    private readonly tenantId: string,
    text: string,
    params: readonly unknown[],
  ) {
    let settle: QueryCallback = () => undefined;
    const done = new Promise<T[]>((resolve, reject) => {
      settle = (error, result) => (error ? reject(error) : resolve(result!.rows as T[]));
    });
    // Converted before anything is written, so that a bad value fails here and not halfway through the messages.
    super({ name: statementName(text), text, values: params.map(parameterText), callback: settle });
    this.done = done;
  }

  /** Called by pg's `submit` with the socket corked: the messages leave in one write. */
  prepare(connection: WireConnection): void {
    if (!connection.parsedStatements[this.name]) {
      connection.parse({ name: this.name, text: this.text });
      connection.submittedNamedStatements[this.name] = this.text;
    }
    connection.parse({ name: '', text: TENANT_SETUP });
    connection.bind({ statement: '', values: [this.tenantId] });
    connection.execute({});
    connection.bind({ statement: this.name, values: this.values });
    connection.describe({ type: 'P', name: '' });
    connection.execute({});
    connection.sync();
  }

  handleDataRow(message: unknown): void {
    if (!this.settingTenant) super.handleDataRow(message);
  }

  handleCommandComplete(message: unknown, connection: WireConnection): void {
    if (this.settingTenant) this.settingTenant = false;
    else super.handleCommandComplete(message, connection);
  }
}

/** A parameter's text form; only values whose text form is unambiguous are accepted. */
function parameterText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  throw new Error(`unsupported SQL parameter value (${typeof value})`);
}
