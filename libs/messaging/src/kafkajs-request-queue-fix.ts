/**
 * kafkajs 2.2.4 re-arms a request-queue timer after every check, even with nothing pending: the delay is then
 * `throttledUntil (-1) - Date.now()`, which Node turns into 1 ms (the TimeoutNegativeWarning every process printed).
 * Every broker connection of every client ran a 1-ms timer loop forever: about 5 % of a core per idle process here.
 * The upstream fix (tulios/kafkajs#1751, PRs #1755/#1768) is unmerged and 2.2.4 is the last release; this applies
 * it: a check is scheduled only while requests are pending, at the throttle's end or after kafkajs's 10-ms interval.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

export function applyKafkajsRequestQueueFix(): void {
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const untilThrottleEnds = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, untilThrottleEnds > 0 ? untilThrottleEnds : CHECK_PENDING_REQUESTS_INTERVAL_MS);
  };
}

applyKafkajsRequestQueueFix();
