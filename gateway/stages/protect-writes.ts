/**
 * Stage 4d, protect writes: identifying fields a hospital system pushes are validated here, then
 * encrypted under the resident's data key and blind-indexed, so plaintext never reaches a subgraph.
 * Which input fields are identifying, of which kind, stored as which coordinate and indexed into which
 * field is declared in the schema (`@identifying`), as is the resident they are bound to (a feed's
 * `@reference(kind: "RESIDENT")`, or the id a registration's `@write(newResident:)` receives).
 * Protected inputs must arrive as variables: identifiers in the query text would end up in hashes,
 * plans and logs.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError, Kind, type FieldNode, type OperationDefinitionNode } from 'graphql';
import type { MaskKind } from '../../schema/classification.js';
import { isKnownAreaCode } from '../../schema/districts.js';
import { rootDeclaration, type EnforcementDeclarations, type IdentifyingField, type ProtectedArgument, type RootDeclaration } from '../../schema/enforcement.js';
import { ERROR_CODES, InvalidInputError } from '../../schema/errors.js';
import { assertSexMatchesIdCard, normaliseIdCardNumber, parseIdCardNumber, type ParsedIdCard } from '../../schema/id-card.js';
import { parseHealthCardNumber } from '../../schema/health-card.js';
import { isMobilePhone, normalisePhone } from '../../schema/phone.js';
import type { Keyring } from '../keyring/index.js';

type Input = Record<string, unknown>;
type ProtectingWrite = Extract<RootDeclaration, { kind: 'write' | 'feed' }>;

/** What one item's fields learned while being validated, for the resident binding. */
interface Validated {
  /** The stored (normalised) form of each identifying field sent. */
  values: Input;
  idCard?: ParsedIdCard;
}

/**
 * What each identifying kind must be on the way in, and its stored form. `value` is present (not
 * null or undefined) unless the field is required, when absence is validated like an empty value.
 */
const KINDS: Readonly<Record<MaskKind, (value: unknown, field: string, validated: Validated) => unknown>> = {
  NAME: (value, field) => {
    const name = String(value ?? '').trim();
    if (name.length === 0 || name.length > 50) throw new InvalidInputError('A name is 1 to 50 characters.', { field });
    return name;
  },
  ID_CARD: (value, _field, validated) => {
    // Stored (and indexed) in the normalised form, as the seeded data is.
    const number = normaliseIdCardNumber(String(value ?? ''));
    validated.idCard = parseIdCardNumber(number);
    return number;
  },
  HEALTH_CARD: (value, field) => parseHealthCardNumber(String(value ?? ''), field),
  PHONE: (value, field) => {
    if (!isMobilePhone(String(value ?? ''))) throw new InvalidInputError('A phone number is 11 digits starting with 1[3-9].', { field });
    return normalisePhone(String(value));
  },
  ADDRESS: (value) => value,
  TEXT: (value) => value,
};

/**
 * Validates one item and returns the resident its identifying fields are bound to, with the values
 * that replace the client's. A registration's resident is new: its id is minted here, and a GB 11643
 * number fixes the registered sex and birth date.
 */
function prepare(write: ProtectingWrite, fields: readonly IdentifyingField[], item: Input): { residentId: string; extra: Input } {
  const validated: Validated = { values: {} };
  for (const { field, kind, required } of fields) {
    if (item[field] == null && !required) continue;
    validated.values[field] = KINDS[kind](item[field], field, validated);
  }
  if (write.kind === 'feed') {
    const residentId = item[write.residentField];
    if (typeof residentId !== 'string' || residentId.length === 0) throw new InvalidInputError(`Each record needs a ${write.residentField}.`, { field: write.residentField });
    return { residentId, extra: validated.values };
  }
  const extra: Input = { ...validated.values };
  if (validated.idCard) {
    assertSexMatchesIdCard(String(item['sex'] ?? ''), validated.idCard);
    extra['birthDate'] = validated.idCard.birthDate;
  }
  if (!isKnownAreaCode(String(item['districtCode'] ?? ''))) throw new InvalidInputError('Unknown GB/T 2260 district code.', { field: 'districtCode' });
  const residentId = `res-${randomUUID()}`;
  return { residentId, extra: { ...extra, [write.newResident!]: residentId } };
}

/**
 * Returns the variable values that replace the client's for protected inputs (empty when the
 * operation writes nothing protected). `rootFields` are the root fields that execute, as analysis
 * found them (through fragments, `@skip` / `@include` decided): a skipped write is not examined.
 */
export async function protectWrites(
  operation: OperationDefinitionNode,
  rootFields: readonly FieldNode[],
  variables: Readonly<Record<string, unknown>>,
  keyring: Keyring,
  declarations: EnforcementDeclarations,
): Promise<Record<string, unknown>> {
  const overrides: Record<string, unknown> = {};
  if (operation.operation !== 'mutation') return overrides;
  for (const selection of rootFields) {
    const write = rootDeclaration(declarations, 'mutation', selection.name.value);
    if (write?.kind !== 'write' && write?.kind !== 'feed') continue;
    for (const protectedArgument of write.protects) await protectArgument(operation, selection, write, protectedArgument, variables, keyring, overrides);
  }
  return overrides;
}

/** Protects one argument's items into `overrides` (under the variable's name). */
async function protectArgument(
  operation: OperationDefinitionNode,
  selection: FieldNode,
  write: ProtectingWrite,
  { argument: argumentName, fields }: ProtectedArgument,
  variables: Readonly<Record<string, unknown>>,
  keyring: Keyring,
  overrides: Record<string, unknown>,
): Promise<void> {
  const argument = selection.arguments?.find((a) => a.name.value === argumentName);
  if (!argument) return;
  const refuse = () =>
    new GraphQLError(`Send ${selection.name.value}(${argumentName}:) as a variable without a default: identifying data must not be written into the query text.`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT, http: { status: 400 } },
    });
  if (argument.value.kind !== Kind.VARIABLE) throw refuse();
  const name = argument.value.name.value;
  if (operation.variableDefinitions?.some((d) => d.variable.name.value === name && d.defaultValue)) throw refuse();
  // A variable has one value however many root fields use it (a field selected twice runs once).
  if (name in overrides) return;
  const value = variables[name];
  // Positions are kept (non-objects included) so errors name the right item and nothing is dropped.
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const isItem = (item: unknown): item is Input => item !== null && typeof item === 'object';
  const prepared = items.map((item, index) => {
    if (!isItem(item)) return undefined;
    try {
      return prepare(write, fields, item);
    } catch (error) {
      // Point at the item in a batch so a hospital system can fix the one record.
      if (error instanceof InvalidInputError && Array.isArray(value)) {
        throw new InvalidInputError(`${argumentName}[${index}]: ${error.message}`, { field: `${argumentName}[${index}].${error.extensions['field'] ?? ''}` });
      }
      throw error;
    }
  });
  await keyring.prepare([...new Set(prepared.flatMap((p) => (p ? [p.residentId] : [])))]);
  const protectedItems = items.map((item, index) => {
    const preparedItem = prepared[index];
    if (!isItem(item) || !preparedItem) return item;
    const { residentId, extra } = preparedItem;
    const result: Input = { ...item, ...extra };
    for (const { field, storedAs, index: blindIndex } of fields) {
      const plaintext = result[field];
      if (typeof plaintext === 'string' && plaintext.length > 0) result[field] = keyring.encrypt(residentId, storedAs, plaintext);
      if (!blindIndex) continue;
      const sent = item[field];
      // Never trust a client-sent index: it is computed here or absent.
      if (typeof sent === 'string' && sent.length > 0) result[blindIndex.into] = keyring.blindIndex(blindIndex.kind, sent);
      else delete result[blindIndex.into];
    }
    return result;
  });
  overrides[name] = Array.isArray(value) ? protectedItems : protectedItems[0];
}
