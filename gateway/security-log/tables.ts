import { bigint, integer, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const securitySchema = pgSchema('security');

/** What made a refused request a probe rather than an access a resident should see. */
export type SecurityEventKind =
  /** No signed-in user named residents: nobody is accountable, so no resident's access log shows it. */
  | 'ANONYMOUS_PROBE'
  /** A signed-in user named resident ids the platform does not know: there is nobody to show it to. */
  | 'UNKNOWN_RESIDENT';

/** Numbers the events; an event's slot in the bounded log is its number modulo the bound. */
export const securityEventSeq = securitySchema.sequence('security_event_seq');

/**
 * The security log: refused probes kept out of residents' access logs and out of the audit chain.
 * A ring of at most N slots (the configured bound): each event overwrites the oldest slot, so the
 * table never grows past N rows and pruning costs nothing per insert. Never a plaintext identifier,
 * not even the resident ids named: only how many there were.
 */
export const securityEvents = securitySchema.table(
  'security_event',
  {
    slot: integer('slot').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    requestId: text('request_id').notNull(),
    /** `anonymous` for a caller without a token. */
    actorSub: text('actor_sub').notNull(),
    actorRole: text('actor_role').notNull(),
    kind: text('kind').$type<SecurityEventKind>().notNull(),
    /** The code the request was refused with (DESIGN §10), or NO_RECORD when there was nothing to refuse. */
    code: text('code').notNull(),
    /** SHA-256 of the operation, as in the audit chain. */
    operationHash: text('operation_hash').notNull(),
    /** How many distinct residents the request named (their ids are not kept). */
    residentsNamed: integer('residents_named').notNull(),
  },
  (t) => [uniqueIndex('security_event_seq_key').on(t.seq)],
);

export type SecurityEventRow = typeof securityEvents.$inferSelect;
