/**
 * Stage 4c, protect writes: identifying fields a hospital system pushes are validated here, then
 * encrypted under the resident's data key and blind-indexed, so plaintext never reaches a subgraph.
 * Which mutation inputs carry which protected fields is data (PROTECTED_WRITES), not code paths.
 * Protected inputs must arrive as variables: identifiers in the query text would end up in hashes,
 * plans and logs.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError, Kind, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { isKnownAreaCode } from '../../schema/districts.js';
import { ERROR_CODES, InvalidInputError } from '../../schema/errors.js';
import { assertSexMatchesIdCard, normaliseIdCardNumber, parseIdCardNumber } from '../../schema/id-card.js';
import { isMobilePhone, normalisePhone } from '../../schema/phone.js';
import type { Keyring } from '../keyring/index.js';

type Input = Record<string, unknown>;

interface ProtectedWrite {
  /** The argument holding the input (an object, or a list of objects). */
  argument: string;
  /** Validates one item and returns the resident its protected fields are bound to. */
  prepare(item: Input): { residentId: string; extra?: Input };
  /** Field of the input → coordinate of the stored field it becomes. */
  encrypt: Readonly<Record<string, string>>;
  /** Field of the input → (blind-index kind, the input field that receives the index). */
  index?: Readonly<Record<string, { kind: 'idCard' | 'phone'; into: string }>>;
}

const PROTECTED_WRITES: Readonly<Record<string, ProtectedWrite>> = {
  registerResident: {
    argument: 'input',
    prepare(item) {
      const idCardNumber = normaliseIdCardNumber(String(item['idCardNumber'] ?? ''));
      const parsed = parseIdCardNumber(idCardNumber);
      assertSexMatchesIdCard(String(item['sex'] ?? ''), parsed);
      const name = String(item['name'] ?? '').trim();
      if (name.length === 0 || name.length > 50) throw new InvalidInputError('A name is 1 to 50 characters.', { field: 'name' });
      if (item['phone'] != null && !isMobilePhone(String(item['phone']))) throw new InvalidInputError('A phone number is 11 digits starting with 1[3-9].', { field: 'phone' });
      if (!isKnownAreaCode(String(item['districtCode'] ?? ''))) throw new InvalidInputError('Unknown GB/T 2260 district code.', { field: 'districtCode' });
      const residentId = `res-${randomUUID()}`;
      // Stored (and indexed) in the normalised form, as the seeded data is.
      const phone = item['phone'] == null ? {} : { phone: normalisePhone(String(item['phone'])) };
      return { residentId, extra: { id: residentId, birthDate: parsed.birthDate, name, idCardNumber, ...phone } };
    },
    encrypt: { name: 'Resident.name', idCardNumber: 'Resident.idCardNumber', phone: 'Resident.phone', address: 'Resident.address' },
    index: { idCardNumber: { kind: 'idCard', into: 'idCardIndex' }, phone: { kind: 'phone', into: 'phoneIndex' } },
  },
  recordEncounters: {
    argument: 'input',
    prepare(item) {
      const residentId = item['residentId'];
      if (typeof residentId !== 'string' || residentId.length === 0) throw new InvalidInputError('Each encounter needs a residentId.', { field: 'residentId' });
      return { residentId };
    },
    encrypt: { chiefComplaint: 'Encounter.chiefComplaint' },
  },
};

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
): Promise<Record<string, unknown>> {
  const overrides: Record<string, unknown> = {};
  if (operation.operation !== 'mutation') return overrides;
  for (const selection of rootFields) {
    const write = PROTECTED_WRITES[selection.name.value];
    if (!write) continue;
    const argument = selection.arguments?.find((a) => a.name.value === write.argument);
    if (!argument) continue;
    const refuse = () =>
      new GraphQLError(`Send ${selection.name.value}(${write.argument}:) as a variable without a default: identifying data must not be written into the query text.`, {
        extensions: { code: ERROR_CODES.BAD_USER_INPUT, http: { status: 400 } },
      });
    if (argument.value.kind !== Kind.VARIABLE) throw refuse();
    const name = argument.value.name.value;
    if (operation.variableDefinitions?.some((d) => d.variable.name.value === name && d.defaultValue)) throw refuse();
    // A variable has one value however many root fields use it (a field selected twice runs once).
    if (name in overrides) continue;
    const value = variables[name];
    // Positions are kept (non-objects included) so errors name the right item and nothing is dropped.
    const items: unknown[] = Array.isArray(value) ? value : [value];
    const isItem = (item: unknown): item is Input => item !== null && typeof item === 'object';
    const prepared = items.map((item, index) => {
      if (!isItem(item)) return undefined;
      try {
        return write.prepare(item);
      } catch (error) {
        // Point at the item in a batch so a hospital system can fix the one record.
        if (error instanceof InvalidInputError && Array.isArray(value)) {
          throw new InvalidInputError(`${write.argument}[${index}]: ${error.message}`, { field: `${write.argument}[${index}].${error.extensions['field'] ?? ''}` });
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
      for (const [field, coordinate] of Object.entries(write.encrypt)) {
        const plaintext = result[field];
        if (typeof plaintext === 'string' && plaintext.length > 0) result[field] = keyring.encrypt(residentId, coordinate, plaintext);
      }
      for (const [field, { kind, into }] of Object.entries(write.index ?? {})) {
        const plaintext = item[field];
        // Never trust a client-sent index: it is computed here or absent.
        if (typeof plaintext === 'string' && plaintext.length > 0) result[into] = keyring.blindIndex(kind, plaintext);
        else delete result[into];
      }
      return result;
    });
    overrides[name] = Array.isArray(value) ? protectedItems : protectedItems[0];
  }
  return overrides;
}
