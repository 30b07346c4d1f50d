import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/app-config';
import { openOwnerDataSource } from '../../database/owner-data-source';
import { UnitOfWork } from '../../database/unit-of-work';
import { pruneAuditLog, verifyAllChains } from './audit-retention';

const USAGE = `usage:
  npm run audit:verify                                   verify every tenant's hash chain (exit 1 if one is broken)
  npm run audit:prune -- --older-than-days=<days>        delete events older than that, keeping the chains verifiable
  npm run audit:prune -- --before=<ISO-8601 instant>`;

/**
 * The audit log's operator commands, run as the owner role
 * (DATABASE_MIGRATION_URL, else DATABASE_URL, else the embedded folder with
 * the service stopped). Exit codes: 0 fine, 1 a broken chain, 2 cannot run.
 */
async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'older-than-days': { type: 'string' }, before: { type: 'string' } },
  });
  const command = positionals[0];
  const before = values.before
    ? new Date(values.before)
    : values['older-than-days']
      ? new Date(Date.now() - Number(values['older-than-days']) * 86_400_000)
      : undefined;
  if (command !== 'verify' && command !== 'prune') throw new UsageError(USAGE);
  if (command === 'prune' && (!before || Number.isNaN(before.getTime()))) throw new UsageError(USAGE);

  const dataSource = await openOwnerDataSource(loadConfig(process.env));
  const uow = new UnitOfWork(dataSource);
  try {
    if (command === 'prune') {
      for (const chain of await pruneAuditLog(uow, before!)) {
        process.stdout.write(`${chain.tenantId ?? 'tenant-less'}: ${chain.removed} events removed\n`);
      }
    }
    const reports = await verifyAllChains(uow);
    for (const report of reports) {
      const state = report.valid ? 'intact' : `BROKEN at ${report.firstBrokenId ?? 'the end of the chain'}`;
      process.stdout.write(`${report.tenantId ?? 'tenant-less'}: ${report.checked} events, ${state}\n`);
    }
    return reports.every((report) => report.valid) ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof UsageError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    process.exit(2);
  },
);
