/**
 * The check of a scenario's documents at submission (DESIGN §7): each parses, is one query of the
 * research roots only, and selects nothing the scenario does not list. A research field is allowed
 * when the coordinate it is derived from is listed (`RESEARCH_FIELD_SOURCES`); an aggregate states its
 * input literally, so what it measures and groups by is known when it is registered.
 */
import { createHash } from 'node:crypto';
import { Kind, parse, type ArgumentNode, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { InvalidInputError } from '../schema/errors.js';
import {
  AGGREGATE_DIMENSIONS,
  AGGREGATE_MEASURES,
  isResearchRoot,
  NUMERIC_COORDINATES,
  RESEARCH_FIELD_SOURCES,
  RESEARCH_FIELD_TYPES,
  type AgeGranularity,
  type PlaceGranularity,
} from '../schema/research.js';

/** The hex SHA-256 of a document's exact text: its id (`documentIds`, `persistedQuery.sha256Hash`). */
export function documentId(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What the scenario allows a document to select. */
export interface DocumentAllowance {
  fields: ReadonlySet<string>;
  ageGranularity: AgeGranularity;
  placeGranularity: PlaceGranularity;
}

/** What a checked document reads, beyond its fields: the lab item codes its aggregates measure. */
export interface CheckedDocument {
  id: string;
  text: string;
  itemCodes: string[];
}

/** Research fields finer than the scenario's generalisation allows. */
const FINER_THAN_APPROVED: ReadonlyArray<{ field: string; dimension: string; unless: (allowance: DocumentAllowance) => boolean; needs: string }> = [
  { field: 'ResearchSubject.birthYear', dimension: 'birthYear', unless: (a) => a.ageGranularity === 'YEAR', needs: 'ageGranularity YEAR' },
];

/** Checks one submitted document; refuses with BAD_USER_INPUT naming `documents[index]` and the offender. */
export function checkDocument(text: string, index: number, allowance: DocumentAllowance): CheckedDocument {
  const where = `documents[${index}]`;
  const refuse = (message: string): never => {
    throw new InvalidInputError(`${where} ${message}`, { field: where });
  };
  let document: DocumentNode;
  try {
    document = parse(text, { noLocation: true });
  } catch (error) {
    return refuse(`does not parse: ${(error as Error).message}`);
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) refuse(`must hold exactly one operation, not ${operations.length}.`);
  const operation = operations[0]!;
  if (operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') return refuse('must be a query.');
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind !== Kind.OPERATION_DEFINITION) refuse('holds something other than an operation and its fragments.');
  }
  const itemCodes: string[] = [];

  const walk = (selectionSet: SelectionSetNode, typeName: string, spreading: ReadonlySet<string>): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition && selection.typeCondition.name.value !== typeName) refuse(`has a fragment on ${selection.typeCondition.name.value} where ${typeName} is selected.`);
        walk(selection.selectionSet, typeName, spreading);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment) return refuse(`spreads an unknown fragment ${name}.`);
        if (spreading.has(name)) return refuse(`spreads fragment ${name} within itself.`);
        if (fragment.typeCondition.name.value !== typeName) refuse(`spreads fragment ${name} on ${fragment.typeCondition.name.value} where ${typeName} is selected.`);
        walk(fragment.selectionSet, typeName, new Set([...spreading, name]));
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') continue;
      const coordinate = `${typeName}.${name}`;
      if (typeName === 'Query') {
        if (!isResearchRoot(name)) refuse(`selects ${coordinate}; a registered document selects researchCohort or researchAggregate only.`);
        if (name === 'researchAggregate') itemCodes.push(...checkAggregateInput(selection.arguments ?? [], allowance, refuse));
      } else {
        if (!Object.hasOwn(RESEARCH_FIELD_SOURCES, coordinate)) refuse(`selects ${coordinate}, which is not a research field.`);
        const source = RESEARCH_FIELD_SOURCES[coordinate];
        if (source && !allowance.fields.has(source)) refuse(`selects ${coordinate}, derived from ${source}, which the scenario does not list.`);
        const finer = FINER_THAN_APPROVED.find((rule) => rule.field === coordinate);
        if (finer && !finer.unless(allowance)) refuse(`selects ${coordinate}, finer than the scenario's generalisation (it needs ${finer.needs}).`);
      }
      const childType = RESEARCH_FIELD_TYPES[coordinate];
      if (selection.selectionSet) {
        if (!childType) return refuse(`selects fields below ${coordinate}, which has none.`);
        walk(selection.selectionSet, childType, spreading);
      } else if (childType) {
        refuse(`selects ${coordinate} without its fields.`);
      }
    }
  };
  walk(operation.selectionSet, 'Query', new Set());
  return { id: documentId(text), text, itemCodes };
}

/** Checks a registered aggregate's literal input; returns the item code it measures, if any. */
function checkAggregateInput(args: readonly ArgumentNode[], allowance: DocumentAllowance, refuse: (message: string) => never): string[] {
  const input = args.find((a) => a.name.value === 'input')?.value;
  if (!input || input.kind !== Kind.OBJECT) return refuse('must state researchAggregate’s input literally (not as a variable), so what it measures is registered.');
  const fields = new Map(input.fields.map((f) => [f.name.value, f.value]));
  const literal = (name: string, value: ValueNode | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (value.kind === Kind.STRING || value.kind === Kind.ENUM) return value.value;
    return refuse(`must state researchAggregate’s ${name} literally.`);
  };
  const measure = literal('measure', fields.get('measure'));
  if (!measure || !(AGGREGATE_MEASURES as readonly string[]).includes(measure)) refuse(`asks for an unknown measure ${measure ?? '(none)'}; one of ${AGGREGATE_MEASURES.join(', ')}.`);
  const field = literal('field', fields.get('field'));
  const itemCode = literal('itemCode', fields.get('itemCode'));
  if (measure === 'COUNT') {
    if (field) refuse('counts residents: a COUNT takes no field.');
  } else {
    if (!field || !NUMERIC_COORDINATES.has(field)) refuse(`takes the ${measure} of ${field ?? '(no field)'}; it needs one of ${[...NUMERIC_COORDINATES].join(', ')}.`);
    if (!allowance.fields.has(field!)) refuse(`takes the ${measure} of ${field!}, which the scenario does not list.`);
    if (!itemCode) refuse(`takes the ${measure} of ${field!} without an itemCode (LOINC or local code).`);
  }
  const groupBy = fields.get('groupBy');
  if (!groupBy || groupBy.kind !== Kind.LIST) return refuse('must state researchAggregate’s groupBy literally, as a list.');
  for (const value of groupBy.values) {
    const dimension = literal('groupBy', value);
    const source = dimension === undefined ? undefined : AGGREGATE_DIMENSIONS[dimension];
    if (!dimension || !source) return refuse(`groups by ${dimension ?? '(nothing)'}, which is not a dimension; one of ${Object.keys(AGGREGATE_DIMENSIONS).join(', ')}.`);
    if (!allowance.fields.has(source)) refuse(`groups by ${dimension}, derived from ${source}, which the scenario does not list.`);
    const finer = FINER_THAN_APPROVED.find((rule) => rule.dimension === dimension);
    if (finer && !finer.unless(allowance)) refuse(`groups by ${dimension}, finer than the scenario's generalisation (it needs ${finer.needs}).`);
    if (dimension === 'district' && allowance.placeGranularity === 'CITY') refuse('groups by district, finer than the scenario’s generalisation (it needs placeGranularity DISTRICT).');
  }
  return itemCode ? [itemCode] : [];
}
