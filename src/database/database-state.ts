/** What the startup probe and readiness need to know about the database. */
export class DatabaseState {
  migrationsApplied: string[] = [];
  /** True once migrations ran (or were skipped on purpose) and the pool serves. */
  ready = false;
  embedded = false;
  /** True when connections are switched to the application role with SET ROLE. */
  roleSwitched = false;
}
