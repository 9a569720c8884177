// Integration specs start services and wait for Kafka round trips; unit specs keep Jest's default.
jest.setTimeout(120_000);
// Services started in-process write JSON lines straight to stdout, past Jest's console capture: keep only warnings,
// so a failure stays readable at the end of a CI log. A spec that needs more sets LOG_LEVEL itself.
process.env.LOG_LEVEL ??= 'warn';
process.env.SIMULATORS_LOG_LEVEL ??= 'warn';
