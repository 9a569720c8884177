import './kafkajs-request-queue-fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { scheduleCheckPendingRequests(this: object): void } };

function queue(pending: unknown[], throttledUntil = -1) {
  return { pending, throttledUntil, throttleCheckTimeoutId: null as NodeJS.Timeout | null, checks: 0, checkPendingRequests() { this.checks++; } };
}

describe('kafkajs request queue (patched scheduler)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('arms no timer when nothing is pending (kafkajs 2.2.4 armed a 1-ms one forever)', () => {
    const q = queue([]);
    RequestQueue.prototype.scheduleCheckPendingRequests.call(q);
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('checks pending requests after 10 ms when not throttled, once', () => {
    const q = queue([{}]);
    RequestQueue.prototype.scheduleCheckPendingRequests.call(q);
    RequestQueue.prototype.scheduleCheckPendingRequests.call(q); // already armed: no second timer
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(9);
    expect(q.checks).toBe(0);
    jest.advanceTimersByTime(1);
    expect(q.checks).toBe(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('waits for the end of a broker throttle before checking', () => {
    const q = queue([{}], Date.now() + 500);
    RequestQueue.prototype.scheduleCheckPendingRequests.call(q);
    jest.advanceTimersByTime(499);
    expect(q.checks).toBe(0);
    jest.advanceTimersByTime(1);
    expect(q.checks).toBe(1);
  });
});
