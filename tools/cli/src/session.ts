import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCodes, PointsweepError } from '@pointsweep/contracts';

/** What the CLI remembers between calls for the person using it. Holds ids and the assertion, no personal data. */
export interface Session {
  personId?: string;
  assertion?: string;
  assertionExpiresAt?: string;
  /** The account registered last, used when --account is left out. */
  accountId?: string;
  /** A verification started with --start-only, waiting for `verify --code`. */
  pending?: { verificationId: string; expiresAt: string };
}

export interface SessionStore {
  load(): Promise<Session>;
  save(session: Session): Promise<void>;
}

/** The session as a JSON file (mode 600: the assertion lets its holder act for the person until it expires). */
export function fileSessionStore(file: string): SessionStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw error;
      }
      try {
        const session = JSON.parse(text) as unknown;
        if (typeof session !== 'object' || session === null || Array.isArray(session)) throw new Error('not an object');
        return session as Session;
      } catch {
        throw new PointsweepError('SESSION_UNREADABLE', `${file} is not a session file; delete it and run pointsweep verify`);
      }
    },
    async save(session) {
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, file);
    },
  };
}

/** The verified person, or a coded error saying to verify first. */
export function requirePerson(session: Session, now: Date): { personId: string; assertion: string } {
  if (!session.personId || !session.assertion) {
    throw new PointsweepError('NO_SESSION', 'no verified person in the session; run pointsweep verify first');
  }
  if (session.assertionExpiresAt && Date.parse(session.assertionExpiresAt) <= now.getTime()) {
    throw new PointsweepError(ErrorCodes.assertionExpired, `the identity assertion expired at ${session.assertionExpiresAt}; run pointsweep verify again`);
  }
  return { personId: session.personId, assertion: session.assertion };
}
