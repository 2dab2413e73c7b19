/**
 * Data classification (GB/T 39725-2020) as the platform's shared vocabulary.
 *
 * Every field that can hold personal data carries `@classified` in its subgraph's SDL; the directive
 * survives composition (`@composeDirective`), so the supergraph is the single place the gateway reads
 * policy inputs from.
 */
import { Kind, parse, type DocumentNode, type ConstDirectiveNode } from 'graphql';

export const DATA_CATEGORIES = [
  'DEMOGRAPHICS',
  'HEALTH_STATUS',
  'CLINICAL',
  'RESULTS',
  'PAYMENT',
  'RESOURCES',
  'PUBLIC_HEALTH',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** 1 public; 2 de-identified; 3 pseudonymous; 4 directly identifying; 5 especially sensitive. */
export type SensitivityLevel = 1 | 2 | 3 | 4 | 5;

/** How a field is shown when policy allows it only masked (姓名 张*, 身份证 first 6 + last 4, 手机 138****1234). */
export const MASK_KINDS = ['NAME', 'ID_CARD', 'HEALTH_CARD', 'PHONE', 'ADDRESS', 'TEXT'] as const;
export type MaskKind = (typeof MASK_KINDS)[number];

export interface Classification {
  category: DataCategory;
  level: SensitivityLevel;
  /** Stored as ciphertext in the subgraph; only the gateway can decrypt it. */
  encrypted: boolean;
  mask?: MaskKind;
}

/** The `@link` URL under which the classification directive is imported and composed. */
export const CLASSIFICATION_SPEC_URL = 'https://healthmesh.dev/classification/v1.0';
export const CLASSIFIED_DIRECTIVE = 'classified';

/** SDL definition every subgraph includes; arguments are scalars so both composers merge it identically. */
export const CLASSIFIED_DIRECTIVE_SDL =
  'directive @classified(category: String!, level: Int!, encrypted: Boolean! = false, mask: String) on FIELD_DEFINITION';

/** The `@classified(...)` application for a type-graphql `@Directive(...)` decorator. */
export function classified(category: DataCategory, level: SensitivityLevel, options: { encrypted?: boolean; mask?: MaskKind } = {}): string {
  const args = [`category: "${category}"`, `level: ${level}`];
  if (options.encrypted) args.push('encrypted: true');
  if (options.mask) args.push(`mask: "${options.mask}"`);
  return `@${CLASSIFIED_DIRECTIVE}(${args.join(', ')})`;
}

/** `Type.field` → classification, read from any SDL (a subgraph's or the composed supergraph). */
export type ClassificationMap = ReadonlyMap<string, Classification>;

export function readClassifications(sdl: string | DocumentNode): ClassificationMap {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const map = new Map<string, Classification>();
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === CLASSIFIED_DIRECTIVE);
      if (directive) map.set(`${definition.name.value}.${field.name.value}`, classificationFromDirective(directive));
    }
  }
  return map;
}

function classificationFromDirective(directive: ConstDirectiveNode): Classification {
  const args = new Map(directive.arguments?.map((a) => [a.name.value, a.value]) ?? []);
  const category = args.get('category');
  const level = args.get('level');
  const encrypted = args.get('encrypted');
  const mask = args.get('mask');
  if (category?.kind !== Kind.STRING || !isDataCategory(category.value)) {
    throw new Error(`@classified has an unknown category: ${category?.kind === Kind.STRING ? category.value : '?'}`);
  }
  if (level?.kind !== Kind.INT || !isLevel(Number(level.value))) {
    throw new Error('@classified needs a level from 1 to 5');
  }
  const result: Classification = {
    category: category.value,
    level: Number(level.value) as SensitivityLevel,
    encrypted: encrypted?.kind === Kind.BOOLEAN ? encrypted.value : false,
  };
  if (mask?.kind === Kind.STRING) {
    if (!(MASK_KINDS as readonly string[]).includes(mask.value)) throw new Error(`@classified has an unknown mask: ${mask.value}`);
    result.mask = mask.value as MaskKind;
  }
  return result;
}

export function isDataCategory(value: string): value is DataCategory {
  return (DATA_CATEGORIES as readonly string[]).includes(value);
}

function isLevel(value: number): value is SensitivityLevel {
  return Number.isInteger(value) && value >= 1 && value <= 5;
}

/**
 * Where an SDL breaks the classification rules: object and interface fields without `@classified`, and
 * fields above level 2 (other than ids) that are non-null, so a filter could not null them. Roots
 * (declared in schema/enforcement.ts instead) and federation machinery are exempt. The gateway denies
 * an unclassified field under every root, platform roots included, so a gap here is a field no caller
 * can read.
 */
export function classificationGaps(sdl: string): { unclassified: string[]; nonNullAboveLevel2: string[] } {
  const classifications = readClassifications(sdl);
  const unclassified: string[] = [];
  const nonNullAboveLevel2: string[] = [];
  for (const definition of parse(sdl).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    const typeName = definition.name.value;
    if (['Query', 'Mutation', 'Subscription'].includes(typeName) || typeName.startsWith('join__') || typeName.startsWith('link__')) continue;
    for (const field of definition.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      const classification = classifications.get(coordinate);
      if (!classification) unclassified.push(coordinate);
      else if (classification.level > 2 && field.type.kind === Kind.NON_NULL_TYPE && field.name.value !== 'id') nonNullAboveLevel2.push(coordinate);
    }
  }
  return { unclassified, nonNullAboveLevel2 };
}
