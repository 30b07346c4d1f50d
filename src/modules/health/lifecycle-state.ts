/** Where the process is in its life: what the startup and readiness probes report. */
export class LifecycleState {
  /** Set once the HTTP server listens after migrations: the startup probe turns 200. */
  started = false;
  /** Set on SIGTERM: readiness turns 503 while in-flight and new requests are still served. */
  draining = false;
}
