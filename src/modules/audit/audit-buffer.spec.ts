import { randomUUID } from 'node:crypto';
import { AuditBuffer } from './audit-buffer';
import type { PreparedEvent } from './audit-writer';

const event = (severity: PreparedEvent['severity'] = 'INFO', type = 'AUTH_LOGIN'): PreparedEvent => ({
  id: randomUUID(),
  tenantId: null,
  type,
  severity,
  userId: null,
  resourceType: null,
  resourceId: null,
  ip: null,
  requestId: null,
  outcome: 'success',
  metadata: {},
  createdAt: new Date().toISOString(),
});

/** A store that records batches and can be told to fail. */
function fakeStore() {
  const batches: PreparedEvent[][] = [];
  let failing = false;
  return {
    batches,
    stored: () => batches.flat(),
    fail: (value: boolean) => (failing = value),
    write: async (events: PreparedEvent[]) => {
      if (failing) throw new Error('database unavailable');
      batches.push([...events]);
    },
  };
}

describe('AuditBuffer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes a batch as soon as batchSize events wait', async () => {
    const store = fakeStore();
    const buffer = new AuditBuffer({ batchSize: 100, flushIntervalMs: 5000, maxBuffered: 10_000, write: store.write });
    for (let i = 0; i < 99; i++) buffer.add(event());
    await Promise.resolve();
    expect(store.batches).toHaveLength(0);
    buffer.add(event());
    await buffer.flush();
    expect(store.batches.map((b) => b.length)).toEqual([100]);
    expect(buffer.getStats()).toMatchObject({ buffered: 0, flushed: 100 });
  });

  it('writes what waits every flush interval', async () => {
    const store = fakeStore();
    const buffer = new AuditBuffer({ batchSize: 100, flushIntervalMs: 5000, maxBuffered: 10_000, write: store.write });
    buffer.start();
    buffer.add(event());
    buffer.add(event());
    await jest.advanceTimersByTimeAsync(4999);
    expect(store.batches).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(store.batches.map((b) => b.length)).toEqual([2]);
    await buffer.stop(1000);
  });

  it('keeps a failed batch and retries it later, writing each event exactly once', async () => {
    const store = fakeStore();
    const buffer = new AuditBuffer({ batchSize: 10, flushIntervalMs: 1000, maxBuffered: 10_000, write: store.write });
    buffer.start();
    store.fail(true);
    const events = Array.from({ length: 25 }, () => event());
    events.forEach((e) => buffer.add(e));
    await jest.advanceTimersByTimeAsync(3000);
    expect(store.stored()).toHaveLength(0);
    expect(buffer.getStats().retried).toBeGreaterThan(0);
    expect(buffer.getStats().buffered).toBe(25);
    store.fail(false);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(store.stored().map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(buffer.getStats()).toMatchObject({ buffered: 0, flushed: 25, dropped: 0 });
    await buffer.stop(1000);
  });

  it('honours its bound: drops INFO first, never CRITICAL or SECURITY_VIOLATION, and counts drops', async () => {
    const store = fakeStore();
    store.fail(true);
    const dropped: PreparedEvent[] = [];
    const buffer = new AuditBuffer({ batchSize: 1000, flushIntervalMs: 1000, maxBuffered: 5, write: store.write, onDrop: (e) => dropped.push(e) });
    const critical = [event('CRITICAL'), event('WARNING', 'SECURITY_VIOLATION')];
    const info = [event('INFO'), event('INFO')];
    const warning = event('WARNING', 'AUTH_FAILED');
    [...critical, ...info, warning].forEach((e) => buffer.add(e));
    buffer.add(event('CRITICAL'));
    expect(dropped).toEqual([info[0]]);
    buffer.add(event('CRITICAL'));
    buffer.add(event('CRITICAL'));
    expect(dropped).toEqual([info[0], info[1], warning]);
    buffer.add(event('CRITICAL'));
    expect(buffer.getStats()).toMatchObject({ buffered: 6, dropped: 3 });
  });

  it('writes everything on stop, before shutdown goes on', async () => {
    jest.useRealTimers();
    const store = fakeStore();
    const buffer = new AuditBuffer({ batchSize: 100, flushIntervalMs: 60_000, maxBuffered: 100_000, write: store.write });
    buffer.start();
    for (let i = 0; i < 1234; i++) buffer.add(event());
    await buffer.stop(5000);
    expect(store.stored()).toHaveLength(1234);
    expect(new Set(store.stored().map((e) => e.id)).size).toBe(1234);
  });
});
