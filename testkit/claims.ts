/** Signed-context claims for tests that call a subgraph's schema directly. */
import type { DataCategory, SensitivityLevel } from '../schema/classification.js';
import type { Actor, CategoryScope, GatewayContextClaims, RowScope } from '../schema/context.js';

/** What a test scope says; turned into the signed context's per-resident, per-category shape. */
export interface TestScope {
  residentIds?: string[];
  categories?: DataCategory[];
  maxLevel?: SensitivityLevel;
  institutionId?: string;
}

/** Claims with `scope` opened for its residents and categories (defaults given by the test file); `null` = no scope. */
export function scopedClaims(
  scope: TestScope | null,
  actor: Actor | null,
  defaults: { residentIds: string[]; categories: DataCategory[] },
): GatewayContextClaims {
  const claims: GatewayContextClaims = { requestId: 'req-test', actor, purpose: 'TREAT' };
  if (!scope) return claims;
  const open: CategoryScope = { maxLevel: scope.maxLevel ?? 4 };
  if (scope.institutionId) open.institutionId = scope.institutionId;
  const categories: RowScope['residents'][string] = {};
  for (const category of scope.categories ?? defaults.categories) categories[category] = open;
  claims.scope = { residents: Object.fromEntries((scope.residentIds ?? defaults.residentIds).map((id) => [id, categories])) };
  return claims;
}
