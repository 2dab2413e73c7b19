/**
 * Stage 4, decide: which residents, categories and levels this request may reach. The row scope here is
 * the role baseline (a resident: self; a clinician: the residents the operation names, below level 5);
 * the consent-aware, per-field decision of the trust plane narrows it further.
 */
import { DATA_CATEGORIES, type DataCategory, type SensitivityLevel } from '../../schema/classification.js';
import type { Actor, RowScope } from '../../schema/context.js';
import type { OperationAnalysis } from './analyse-operation.js';

/** Root fields whose `id` / `residentId` argument names the resident they read. */
const SUBJECT_ARGUMENTS: Readonly<Record<string, string>> = { resident: 'id', recognizableResults: 'residentId' };

/** Residents an operation names explicitly through its root fields' arguments. */
export function namedSubjects(analysis: OperationAnalysis, actor: Actor | null): string[] {
  const subjects = new Set<string>();
  for (const field of analysis.rootFields) {
    const argument = SUBJECT_ARGUMENTS[field.name];
    const value = argument ? field.arguments[argument] : undefined;
    if (typeof value === 'string') subjects.add(value);
    if (field.name === 'myArchive' && actor?.residentId) subjects.add(actor.residentId);
  }
  return [...subjects];
}

/** The row scope for the subgraphs; `undefined` means public data only. */
export function decideRowScope(actor: Actor | null, subjects: readonly string[]): RowScope | undefined {
  if (!actor) return undefined;
  const all: DataCategory[] = [...DATA_CATEGORIES];
  switch (actor.role) {
    case 'resident': {
      const self = subjects.filter((id) => id === actor.residentId);
      return self.length ? { residentIds: self, categories: all, maxLevel: 5 } : undefined;
    }
    case 'clinician':
      return subjects.length ? { residentIds: [...subjects], categories: all, maxLevel: 4 as SensitivityLevel } : undefined;
    default:
      return undefined;
  }
}
