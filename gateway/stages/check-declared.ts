/**
 * Stage 2b, check declared: every root field that executes must be declared in the schema (DESIGN §2:
 * `@subject`, `@lookup`, `@platform`, `@write`, …). A root nobody declared is refused with FORBIDDEN
 * before anything is decided or planned, never passed through: the gateway cannot know whose data it
 * reads or whether it writes. Internal lookups are not in the API schema, so no client reaches them.
 */
import { GraphQLError } from 'graphql';
import { rootDeclaration, type EnforcementDeclarations } from '../../schema/enforcement.js';
import { ERROR_CODES } from '../../schema/errors.js';
import type { OperationAnalysis } from './analyse-operation.js';

/** Refuses the operation when one of its root fields has no enforcement declaration. */
export function refuseUndeclaredRoots(analysis: Pick<OperationAnalysis, 'operationType' | 'rootFields'>, declarations: EnforcementDeclarations): void {
  const undeclared = analysis.rootFields.find((field) => {
    const declaration = rootDeclaration(declarations, analysis.operationType, field.name);
    return declaration === undefined || declaration.kind === 'internal';
  });
  if (!undeclared) return;
  throw new GraphQLError(`The field ${undeclared.responseKey} is not available.`, {
    extensions: { code: ERROR_CODES.FORBIDDEN, http: { status: 403 } },
  });
}
