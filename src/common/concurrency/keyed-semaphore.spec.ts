import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedSemaphore } from './keyed-semaphore';

describe('KeyedSemaphore', () => {
  const track = () => {
    let inside = 0;
    let max = 0;
    return {
      enter: () => (max = Math.max(max, ++inside)),
      leave: () => inside--,
      get max() {
        return max;
      },
    };
  };

  it('admits at most `permits` callers per key, in arrival order', async () => {
    const semaphore = new KeyedSemaphore(2);
    const gauge = track();
    const started: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        semaphore.run(['a'], async () => {
          gauge.enter();
          started.push(n);
          await sleep(5);
          gauge.leave();
        }),
      ),
    );
    expect(gauge.max).toBe(2);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(semaphore.size).toBe(0);
  });

  it('with one permit, runs work on a key one at a time', async () => {
    const semaphore = new KeyedSemaphore(1);
    const log: string[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        semaphore.run(['a'], async () => {
          log.push(`start ${n}`);
          await sleep(2);
          log.push(`end ${n}`);
        }),
      ),
    );
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('lets work on other keys run at the same time', async () => {
    const semaphore = new KeyedSemaphore(1);
    const gauge = track();
    await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        semaphore.run([key], async () => {
          gauge.enter();
          await sleep(5);
          gauge.leave();
        }),
      ),
    );
    expect(gauge.max).toBe(3);
  });

  it('never deadlocks on overlapping key sets asked for in opposite orders', async () => {
    const semaphore = new KeyedSemaphore(1);
    let done = 0;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        semaphore.run(i % 2 ? ['x', 'y'] : ['y', 'x'], async () => {
          await sleep(1);
          done++;
        }),
      ),
    );
    expect(done).toBe(50);
    expect(semaphore.size).toBe(0);
  });

  it('gives the permits back when the work fails', async () => {
    const semaphore = new KeyedSemaphore(1);
    await expect(semaphore.run(['a'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(semaphore.run(['a'], async () => 'next')).resolves.toBe('next');
    expect(semaphore.size).toBe(0);
  });
});
