/**
 * Topic names, in one place. A prefix keeps environments (and test spec files) apart.
 * Commands go to the owning service's command topic; events to the emitting service's event topic.
 */
export const TOPIC_SUFFIXES = {
  identityCommands: 'identity.commands',
  identityEvents: 'identity.events',
  issuerCommands: 'issuer.commands',
  issuerEvents: 'issuer.events',
  ledgerCommands: 'ledger.commands',
  ledgerEvents: 'ledger.events',
  settlementCommands: 'settlement.commands',
  settlementEvents: 'settlement.events',
  deadLetter: 'dead-letter',
} as const;

export type TopicName = keyof typeof TOPIC_SUFFIXES;
export type Topics = Record<TopicName, string>;

export function topicsFor(prefix = 'pointsweep'): Topics {
  const entries = Object.entries(TOPIC_SUFFIXES).map(([name, suffix]) => [name, `${prefix}.${suffix}`]);
  return Object.fromEntries(entries) as Topics;
}

/** Each edge client instance owns one reply topic (and its own consumer group). */
export function replyTopicFor(prefix: string, clientId: string): string {
  return `${prefix}.replies.${clientId}`;
}
