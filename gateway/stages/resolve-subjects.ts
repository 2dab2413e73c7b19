/**
 * Stage 3b, resolve subjects: a root field that finds a resident by an identifier (declared `@lookup`) is
 * resolved to the resident's id before deciding, through the master patient index's blind index, so
 * the decision is about a known resident and the identifier's plaintext never leaves the gateway.
 * An unknown number resolves to a resident that does not exist, whose answer is the same as for one
 * the caller may not see.
 */
import { createHash } from 'node:crypto';
import { parseHealthCardNumber } from '../../schema/health-card.js';
import { parseIdCardNumber } from '../../schema/id-card.js';
import type { Actor } from '../../schema/context.js';
import { rootDeclaration, type BlindIndexKind, type EnforcementDeclarations } from '../../schema/enforcement.js';

import type { OperationAnalysis } from './analyse-operation.js';

/** Looks a blind index (of an ID-card or a health card number) up in the master patient index, on behalf of `actor`. */
export type ResidentIndexLookup = (blindIndex: string, actor: Actor, requestId: string) => Promise<string | null>;

export interface ResolvedSubject {
  residentId: string;
  /** The argument the subgraph receives instead of the client's (the blind index, never the plaintext). */
  argument: { name: string; value: string };
}

/** Whether any root field of the operation finds a resident by an identifier. */
export function looksUpResidents(analysis: OperationAnalysis, declarations: EnforcementDeclarations): boolean {
  return analysis.rootFields.some((field) => rootDeclaration(declarations, analysis.operationType, field.name)?.kind === 'lookup');
}

export async function resolveSubjects(
  analysis: OperationAnalysis,
  actor: Actor | null,
  requestId: string,
  blindIndex: (kind: BlindIndexKind, value: string) => string,
  lookup: ResidentIndexLookup,
  declarations: EnforcementDeclarations,
): Promise<Map<string, ResolvedSubject>> {
  const resolved = new Map<string, ResolvedSubject>();
  for (const field of analysis.rootFields) {
    const declaration = rootDeclaration(declarations, analysis.operationType, field.name);
    if (declaration?.kind !== 'lookup') continue;
    const argumentName = declaration.argument;
    const value = String(field.arguments[argumentName] ?? '');
    // A bad number is the caller's mistake, reported before any lookup.
    if (declaration.index === 'healthCard') parseHealthCardNumber(value, argumentName);
    else parseIdCardNumber(value);
    const index = blindIndex(declaration.index, value);
    const found = actor ? await lookup(index, actor, requestId) : null;
    resolved.set(field.responseKey, { residentId: found ?? unknownResident(index), argument: { name: argumentName, value: index } });
  }
  return resolved;
}

/** A stable id no resident has, so "not found" is decided exactly like "not yours". */
function unknownResident(index: string): string {
  return `res-unknown-${createHash('sha256').update(index).digest('hex').slice(0, 16)}`;
}
