#!/usr/bin/env node
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaLogLevel, PointsweepClient, readSmsCode } from '@pointsweep/client';
import { PointsweepError } from '@pointsweep/contracts';
import { DEFAULT_KEYS_FILE, existingKeyRing } from '@pointsweep/messaging';
import { parseCommandLine } from './args';
import { loadAuditLedger } from './audit';
import { runCli } from './run';
import { deadLetterTool } from './dlq';
import { fileSessionStore } from './session';

async function smsCode(simulatorsUrl: string, phone: string): Promise<string> {
  try {
    return await readSmsCode(simulatorsUrl, phone);
  } catch (error) {
    throw new PointsweepError('SIMULATOR_INBOX_UNAVAILABLE', `could not read the code sent to the phone from ${simulatorsUrl}: ${(error as Error).message}`, true);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const env = process.env;
  let sessionFile = '';
  const parsed = () => {
    const p = parseCommandLine(argv, env);
    sessionFile = p.global.sessionFile;
    return p;
  };
  const exitCode = await runCli(parsed, {
    connect: (global) => PointsweepClient.connect({
      brokers: global.brokers,
      topicPrefix: global.prefix,
      clientId: `cli-${randomUUID().slice(0, 8)}`,
      timeoutMs: global.timeoutMs,
      logLevel: global.verbose ? KafkaLogLevel.ERROR : KafkaLogLevel.NOTHING,
      // Operator commands are signed with the services' key ring, when this machine holds it.
      keys: existingKeyRing(env, DEFAULT_KEYS_FILE),
    }),
    session: {
      load: () => fileSessionStore(sessionFile).load(),
      save: (s) => fileSessionStore(sessionFile).save(s),
    },
    readSmsCode: smsCode,
    auditLedger: loadAuditLedger,
    deadLetters: () => deadLetterTool(env),
    now: () => new Date(),
    sleep: (ms) => sleep(ms),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
  process.exitCode = exitCode;
  // Whatever a library leaves open (sockets, timers) must not keep the CLI alive after it answered.
  setTimeout(() => process.exit(exitCode), 2000).unref();
}

void main();
