export { runBench, DEFAULT_BENCH_OPTIONS, balanceForWon } from './run-bench';
export { arrivalSchedule, arrivalSeconds, recoveryAfterSurge } from './recovery';
export type { BenchOptions, BenchTarget, BenchResult, AuditResult } from './run-bench';
export { runLedgerAppendBench, ledgerAppendMarkdown, DEFAULT_LEDGER_APPEND_OPTIONS } from './ledger-append-bench';
export type { LedgerAppendOptions, LedgerAppendResult } from './ledger-append-bench';
export { benchMarkdown, appendToBenchmarks, machineSize } from './report';
export { ProcessSampler, stackProcessMatchers } from './proc-sampler';
export type { ProcessMatcher, ProcessFigures } from './proc-sampler';
export { LagSampler } from './lag-sampler';
