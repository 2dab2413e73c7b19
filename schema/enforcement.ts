/**
 * What the gateway must know about each root field, declared in the subgraphs' SDL and composed into
 * the supergraph like `@classified` (DESIGN §2): which roots read one resident and from where, which
 * find a resident through a blind index, which are writes (hospital feeds with their references), which
 * read platform data only, and which input fields are identifying (validated, encrypted and
 * blind-indexed by the gateway on the way in). The gateway reads one map of it at start; a root with
 * no declaration is refused (deny by default).
 */
import { Kind, parse, type ConstDirectiveNode, type DocumentNode, type FieldDefinitionNode, type InputValueDefinitionNode, type TypeNode } from 'graphql';
import { isDataCategory, MASK_KINDS, readClassifications, type DataCategory, type MaskKind } from './classification.js';

/** The `@link` URL under which the enforcement directives are imported and composed. */
export const ENFORCEMENT_SPEC_URL = 'https://healthmesh.dev/enforcement/v1.0';

/** Root-field declarations: every root field of Query and Mutation carries exactly one. */
export const ROOT_DIRECTIVES = ['subject', 'ownRecord', 'lookup', 'platform', 'internal', 'write', 'feed', 'research'] as const;
/** Input-field declarations. */
export const INPUT_DIRECTIVES = ['identifying', 'reference'] as const;
export const ENFORCEMENT_DIRECTIVES = [...ROOT_DIRECTIVES, ...INPUT_DIRECTIVES] as const;

/** SDL definitions every subgraph includes; arguments are scalars so both composers merge them identically. */
export const ENFORCEMENT_DIRECTIVES_SDL = `
"Reads one resident's data: the resident named by this argument."
directive @subject(argument: String!) on FIELD_DEFINITION
"Reads the calling resident's own record."
directive @ownRecord on FIELD_DEFINITION
"Reads one resident, found through the master patient index: the blind index (kind: ID_CARD or HEALTH_CARD) of this argument."
directive @lookup(argument: String!, kind: String!) on FIELD_DEFINITION
"Reads no resident's data: platform data, scoped to the caller by its resolver."
directive @platform on FIELD_DEFINITION
"The gateway's own lookup; @inaccessible, never in the API schema."
directive @internal on FIELD_DEFINITION
"A write; newResident names the input field that receives the id the gateway mints for a registration; about names the argument whose record (of kind aboutKind) is about a resident, audited as a write of category; reviewsScenario names the argument of a research scenario it reviews, whose mart the gateway builds once the review approves it."
directive @write(newResident: String, about: String, aboutKind: String, category: String, reviewsScenario: String) on FIELD_DEFINITION
"Reads a research scenario's mart (the scenario named by this argument): only its registered documents, while approved, within its quota."
directive @research(scenario: String!) on FIELD_DEFINITION
"A hospital feed writing records of a category from a list argument; its input fields declare their @reference. checkOnly names a Boolean argument that, when true, runs every check and writes nothing (the answer is an empty list)."
directive @feed(argument: String!, category: String!, checkOnly: String) on FIELD_DEFINITION
"An identifying input field (kind NAME, ID_CARD, PHONE, ADDRESS, TEXT): validated, encrypted as the stored coordinate storedAs, blind-indexed into indexInto."
directive @identifying(kind: String!, storedAs: String!, indexInto: String) on INPUT_FIELD_DEFINITION
"A feed record's reference (kind RESIDENT, PRACTITIONER or ENCOUNTER), checked before anything is written."
directive @reference(kind: String!) on INPUT_FIELD_DEFINITION
`;

/** Blind-index kinds: what an identifier is normalised and indexed as. */
export type BlindIndexKind = 'idCard' | 'healthCard' | 'phone';
const BLIND_INDEX_OF: Readonly<Partial<Record<MaskKind, BlindIndexKind>>> = { ID_CARD: 'idCard', HEALTH_CARD: 'healthCard', PHONE: 'phone' };
/** The identifiers the master patient index finds a resident by, and the blind index each is looked up as. */
const LOOKUP_INDEX_OF: Readonly<Record<string, LookupIndexKind>> = { ID_CARD: 'idCard', HEALTH_CARD: 'healthCard' };
export type LookupIndexKind = 'idCard' | 'healthCard';

/** A record a write is about, whose resident the gateway looks up (through the owning subgraph) to audit the write. */
export type AboutKind = 'recognitionCandidate';
const ABOUT_KINDS: Readonly<Record<string, AboutKind>> = { RECOGNITION_CANDIDATE: 'recognitionCandidate' };

/** What a reference field of a feed record points at. */
export type ReferenceKind = 'resident' | 'practitioner' | 'encounter';
const REFERENCE_KINDS: Readonly<Record<string, ReferenceKind>> = { RESIDENT: 'resident', PRACTITIONER: 'practitioner', ENCOUNTER: 'encounter' };

/** An identifying input field. */
export interface IdentifyingField {
  field: string;
  kind: MaskKind;
  /** Non-null in the schema: absent is refused, not skipped. */
  required: boolean;
  /** The stored coordinate (`Type.field`) its ciphertext is bound to. */
  storedAs: string;
  /** The input field that receives its blind index, and the index's kind. */
  index?: { into: string; kind: BlindIndexKind };
}

/** A write's argument whose input object (or list of them) carries identifying fields. */
export interface ProtectedArgument {
  argument: string;
  fields: readonly IdentifyingField[];
}

export type RootDeclaration =
  | { kind: 'subject'; argument: string }
  | { kind: 'ownRecord' }
  /** The master patient index is by ID-card number or by electronic health card number. */
  | { kind: 'lookup'; argument: string; index: LookupIndexKind }
  | { kind: 'platform' }
  | { kind: 'internal' }
  /** Reads the mart of the scenario named by `argument` (a registered document of it only). */
  | { kind: 'research'; argument: string }
  | {
      kind: 'write';
      newResident?: string;
      protects: readonly ProtectedArgument[];
      /** The argument naming a record about one resident: the committed write is audited in that resident's log. */
      about?: { argument: string; kind: AboutKind; category: DataCategory };
      /** The argument naming the research scenario this write reviews: once approved, its mart is built. */
      reviewsScenario?: string;
    }
  | {
      kind: 'feed';
      argument: string;
      category: DataCategory;
      /** The record's input field naming the resident it is about. */
      residentField: string;
      /** Input field of one record → what it references (the resident field included). */
      references: Readonly<Record<string, ReferenceKind>>;
      protects: readonly ProtectedArgument[];
      /** The Boolean argument that makes a call a check only (nothing written), when the feed has one. */
      checkOnly?: string;
    };

export type RootOperation = 'query' | 'mutation' | 'subscription';

/** Root declarations by coordinate (`Query.resident`, `Mutation.recordEncounters`). */
export interface EnforcementDeclarations {
  readonly roots: ReadonlyMap<string, RootDeclaration>;
  /** The root type names of the schema, by operation. */
  readonly rootTypes: Readonly<Record<RootOperation, string>>;
}

/** The declaration of a root field of an operation of this type; undefined when it has none. */
export function rootDeclaration(declarations: EnforcementDeclarations, operation: RootOperation, fieldName: string): RootDeclaration | undefined {
  return declarations.roots.get(`${declarations.rootTypes[operation]}.${fieldName}`);
}

/** Reads every root declaration of an SDL (a subgraph's or the supergraph); throws on a malformed one. */
export function readEnforcementDeclarations(sdl: string | DocumentNode): EnforcementDeclarations {
  const schema = new SchemaIndex(typeof sdl === 'string' ? parse(sdl) : sdl);
  const roots = new Map<string, RootDeclaration>();
  for (const [typeName, fields] of schema.rootFields()) {
    for (const field of fields) {
      const coordinate = `${typeName}.${field.name.value}`;
      const applied = rootDirectivesOf(field.directives ?? []);
      if (applied.length === 0) continue;
      if (applied.length > 1) throw new Error(`${coordinate} has ${applied.length} root declarations; it needs exactly one`);
      roots.set(coordinate, declarationOf(coordinate, applied[0]!, field.arguments ?? [], schema));
    }
  }
  return { roots, rootTypes: schema.rootTypes };
}

/**
 * Where an SDL breaks the declaration rules: roots of Query and Mutation without exactly one
 * declaration; `@internal` roots that are not `@inaccessible` (and inaccessible roots not declared
 * internal); identifying input fields no write protects, or whose stored coordinate is not classified
 * as encrypted with the same mask kind.
 */
export function declarationGaps(sdl: string): { undeclared: string[]; overDeclared: string[]; internalMismatch: string[]; unprotected: string[] } {
  const document = parse(sdl);
  const schema = new SchemaIndex(document);
  const undeclared: string[] = [];
  const overDeclared: string[] = [];
  const internalMismatch: string[] = [];
  for (const [typeName, fields] of schema.rootFields()) {
    if (typeName === schema.rootTypes.subscription) continue;
    for (const field of fields) {
      const coordinate = `${typeName}.${field.name.value}`;
      const applied = rootDirectivesOf(field.directives ?? []);
      if (applied.length === 0) undeclared.push(coordinate);
      if (applied.length > 1) overDeclared.push(coordinate);
      const inaccessible = field.directives?.some((d) => d.name.value === 'inaccessible') ?? false;
      if (applied.length === 1 && (applied[0]!.name.value === 'internal') !== inaccessible) internalMismatch.push(coordinate);
    }
  }
  const unprotected: string[] = [];
  if (overDeclared.length === 0) {
    const declarations = readEnforcementDeclarations(document);
    const classifications = readClassifications(document);
    const protectedFields = new Set<string>();
    for (const declaration of declarations.roots.values()) {
      if (declaration.kind !== 'write' && declaration.kind !== 'feed') continue;
      for (const { fields } of declaration.protects) {
        for (const field of fields) {
          const stored = classifications.get(field.storedAs);
          if (stored?.encrypted && stored.mask === field.kind) protectedFields.add(field.storedAs + '\u0000' + field.field);
        }
      }
    }
    for (const [typeName, field] of schema.inputFieldsWith('identifying')) {
      const storedAs = stringArgument(field.directives!.find((d) => d.name.value === 'identifying')!, 'storedAs');
      if (!protectedFields.has(`${storedAs}\u0000${field.name.value}`)) unprotected.push(`${typeName}.${field.name.value}`);
    }
  }
  return { undeclared, overDeclared, internalMismatch, unprotected };
}

function rootDirectivesOf(directives: readonly ConstDirectiveNode[]): ConstDirectiveNode[] {
  return directives.filter((d) => (ROOT_DIRECTIVES as readonly string[]).includes(d.name.value));
}

function declarationOf(coordinate: string, directive: ConstDirectiveNode, args: readonly InputValueDefinitionNode[], schema: SchemaIndex): RootDeclaration {
  const argumentNamed = (name: string | undefined): string => {
    if (!name || !args.some((a) => a.name.value === name)) throw new Error(`@${directive.name.value} on ${coordinate} names an argument it does not have: ${name ?? '?'}`);
    return name;
  };
  switch (directive.name.value) {
    case 'subject':
      return { kind: 'subject', argument: argumentNamed(stringArgument(directive, 'argument')) };
    case 'ownRecord':
      return { kind: 'ownRecord' };
    case 'platform':
      return { kind: 'platform' };
    case 'internal':
      return { kind: 'internal' };
    case 'research':
      return { kind: 'research', argument: argumentNamed(stringArgument(directive, 'scenario')) };
    case 'lookup': {
      const kind = stringArgument(directive, 'kind');
      const index = LOOKUP_INDEX_OF[kind ?? ''];
      if (!index) throw new Error(`@lookup on ${coordinate} has a kind with no master patient index: ${kind ?? '?'}`);
      return { kind: 'lookup', argument: argumentNamed(stringArgument(directive, 'argument')), index };
    }
    case 'write': {
      const protects = protectedArguments(coordinate, args, schema);
      const newResident = stringArgument(directive, 'newResident');
      if (protects.length > 0 && !newResident) throw new Error(`${coordinate} writes identifying fields but binds them to no resident (newResident:)`);
      for (const { argument } of protects) {
        const input = schema.inputFields(namedType(args.find((a) => a.name.value === argument)!.type));
        if (!input.some((field) => field.name.value === newResident)) throw new Error(`@write on ${coordinate}: ${argument} has no input field ${newResident ?? '?'} for the new resident's id`);
      }
      const about = aboutOf(coordinate, directive, argumentNamed);
      const reviewed = stringArgument(directive, 'reviewsScenario');
      const reviewsScenario = reviewed === undefined ? undefined : argumentNamed(reviewed);
      return { kind: 'write', ...(newResident ? { newResident } : {}), protects, ...(about ? { about } : {}), ...(reviewsScenario ? { reviewsScenario } : {}) };
    }
    case 'feed': {
      const argument = argumentNamed(stringArgument(directive, 'argument'));
      const category = stringArgument(directive, 'category');
      if (!category || !isDataCategory(category)) throw new Error(`@feed on ${coordinate} has an unknown category: ${category ?? '?'}`);
      const input = schema.inputFields(namedType(args.find((a) => a.name.value === argument)!.type));
      const references: Record<string, ReferenceKind> = {};
      for (const field of input) {
        const reference = field.directives?.find((d) => d.name.value === 'reference');
        if (!reference) continue;
        const kind = REFERENCE_KINDS[stringArgument(reference, 'kind') ?? ''];
        if (!kind) throw new Error(`@reference on ${coordinate}'s ${field.name.value} has an unknown kind`);
        references[field.name.value] = kind;
      }
      const residentFields = Object.keys(references).filter((name) => references[name] === 'resident');
      if (residentFields.length !== 1) throw new Error(`@feed ${coordinate}: its records need exactly one @reference(kind: "RESIDENT"), not ${residentFields.length}`);
      const checkOnly = stringArgument(directive, 'checkOnly');
      return {
        kind: 'feed',
        argument,
        category,
        residentField: residentFields[0]!,
        references,
        protects: protectedArguments(coordinate, args, schema),
        ...(checkOnly === undefined ? {} : { checkOnly: argumentNamed(checkOnly) }),
      };
    }
    default:
      throw new Error(`unknown root declaration @${directive.name.value}`);
  }
}

/** A write's `about:` declaration: an argument it has, a kind with a lookup, a data category. */
function aboutOf(coordinate: string, directive: ConstDirectiveNode, argumentNamed: (name: string | undefined) => string): { argument: string; kind: AboutKind; category: DataCategory } | undefined {
  const argument = stringArgument(directive, 'about');
  if (argument === undefined) return undefined;
  const kind = ABOUT_KINDS[stringArgument(directive, 'aboutKind') ?? ''];
  if (!kind) throw new Error(`@write on ${coordinate}: about needs an aboutKind with a lookup (${Object.keys(ABOUT_KINDS).join(', ')})`);
  const category = stringArgument(directive, 'category');
  if (!category || !isDataCategory(category)) throw new Error(`@write on ${coordinate}: about needs the category it writes, not ${category ?? '?'}`);
  return { argument: argumentNamed(argument), kind, category };
}

/** The arguments of a write whose input objects carry identifying fields. */
function protectedArguments(coordinate: string, args: readonly InputValueDefinitionNode[], schema: SchemaIndex): ProtectedArgument[] {
  const result: ProtectedArgument[] = [];
  for (const argument of args) {
    const fields: IdentifyingField[] = [];
    for (const field of schema.inputFields(namedType(argument.type))) {
      const directive = field.directives?.find((d) => d.name.value === 'identifying');
      if (!directive) continue;
      const where = `${coordinate}(${argument.name.value}:).${field.name.value}`;
      const kind = stringArgument(directive, 'kind');
      if (!kind || !(MASK_KINDS as readonly string[]).includes(kind)) throw new Error(`@identifying on ${where} has an unknown kind: ${kind ?? '?'}`);
      const storedAs = stringArgument(directive, 'storedAs');
      if (!storedAs || !/^\w+\.\w+$/.test(storedAs)) throw new Error(`@identifying on ${where} needs storedAs: "Type.field"`);
      const identifying: IdentifyingField = { field: field.name.value, kind: kind as MaskKind, required: field.type.kind === Kind.NON_NULL_TYPE, storedAs };
      const into = stringArgument(directive, 'indexInto');
      if (into !== undefined) {
        const indexKind = BLIND_INDEX_OF[kind as MaskKind];
        if (!indexKind) throw new Error(`@identifying on ${where}: a ${kind} has no blind index`);
        identifying.index = { into, kind: indexKind };
      }
      fields.push(identifying);
    }
    if (fields.length > 0) result.push({ argument: argument.name.value, fields });
  }
  return result;
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

/** The parts of a document the declarations are read from: root types, their fields, input types. */
class SchemaIndex {
  readonly rootTypes: Record<RootOperation, string> = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
  private readonly fieldsByType = new Map<string, Array<FieldDefinitionNode>>();
  private readonly inputs = new Map<string, InputValueDefinitionNode[]>();

  constructor(document: DocumentNode) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION) {
        for (const operationType of definition.operationTypes ?? []) this.rootTypes[operationType.operation] = operationType.type.name.value;
      } else if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) {
        const list = this.fieldsByType.get(definition.name.value) ?? [];
        list.push(...(definition.fields ?? []));
        this.fieldsByType.set(definition.name.value, list);
      } else if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_EXTENSION) {
        const list = this.inputs.get(definition.name.value) ?? [];
        list.push(...(definition.fields ?? []));
        this.inputs.set(definition.name.value, list);
      }
    }
  }

  /** Each root type present, with its fields. */
  rootFields(): Array<[string, Array<FieldDefinitionNode>]> {
    return Object.values(this.rootTypes).flatMap((name) => {
      const fields = this.fieldsByType.get(name);
      return fields ? [[name, fields] as [string, Array<FieldDefinitionNode>]] : [];
    });
  }

  inputFields(typeName: string): readonly InputValueDefinitionNode[] {
    return this.inputs.get(typeName) ?? [];
  }

  /** Every input field carrying this directive, with its type's name. */
  inputFieldsWith(directive: string): Array<[string, InputValueDefinitionNode]> {
    return [...this.inputs].flatMap(([typeName, fields]) => fields.filter((f) => f.directives?.some((d) => d.name.value === directive)).map((f) => [typeName, f] as [string, InputValueDefinitionNode]));
  }
}

/** Root declarations as type-graphql `@Directive(...)` applications. */
export const rootIs = {
  /** Reads the resident named by `argument`. */
  subject: (argument: string): string => `@subject(argument: "${argument}")`,
  /** Reads the calling resident's own record. */
  ownRecord: '@ownRecord',
  /** Reads the resident found through the blind index of `argument`. */
  lookup: (argument: string, kind: 'ID_CARD' | 'HEALTH_CARD'): string => `@lookup(argument: "${argument}", kind: "${kind}")`,
  /** Reads no resident's data. */
  platform: '@platform',
  /** The gateway's own lookup (also `@inaccessible`). */
  internal: '@internal',
  /** Reads the mart of the scenario named by `argument`. */
  research: (argument: string): string => `@research(scenario: "${argument}")`,
  /** A write; a registration names the input field that receives the minted resident id. */
  write: (options: { newResident?: string; about?: { argument: string; kind: 'RECOGNITION_CANDIDATE'; category: DataCategory }; reviewsScenario?: string } = {}): string => {
    const args = [
      ...(options.newResident ? [`newResident: "${options.newResident}"`] : []),
      ...(options.about ? [`about: "${options.about.argument}", aboutKind: "${options.about.kind}", category: "${options.about.category}"`] : []),
      ...(options.reviewsScenario ? [`reviewsScenario: "${options.reviewsScenario}"`] : []),
    ];
    return args.length > 0 ? `@write(${args.join(', ')})` : '@write';
  },
  /** A hospital feed of `category` records in the list argument `argument`; `checkOnly` names its check-only flag. */
  feed: (argument: string, category: DataCategory, options: { checkOnly?: string } = {}): string =>
    `@feed(argument: "${argument}", category: "${category}"${options.checkOnly ? `, checkOnly: "${options.checkOnly}"` : ''})`,
};

/** The check-only flag every feed mutation takes (declared with `@feed(checkOnly:)`). */
export const FEED_CHECK_ONLY = {
  argument: 'checkOnly',
  description: 'Only check the records (quality and reference rules) and write nothing: the answer is an empty list, or the same refusal a write would get.',
} as const;

/** Input-field declarations as type-graphql `@Directive(...)` applications. */
export const inputIs = {
  /** Identifying: validated as `kind`, encrypted bound to `storedAs`, optionally blind-indexed into another input field. */
  identifying: (kind: MaskKind, storedAs: string, options: { indexInto?: string } = {}): string =>
    `@identifying(kind: "${kind}", storedAs: "${storedAs}"${options.indexInto ? `, indexInto: "${options.indexInto}"` : ''})`,
  /** A feed record's reference to a resident, practitioner or encounter. */
  reference: (kind: 'RESIDENT' | 'PRACTITIONER' | 'ENCOUNTER'): string => `@reference(kind: "${kind}")`,
};
