import { buildASTSchema, getNamedType, GraphQLObjectType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadSupergraphSdl } from './supergraph.js';

const COUNT = /^(count|total|totalCount|entries|knownEntries|rows|uses|usesLeft|remainingUses|position|brokenAt\w*)$/i;

describe('API conventions of the composed supergraph', () => {
  const schema = buildASTSchema(parse(loadSupergraphSdl()), { assumeValidSDL: true });

  it('types the audit chain report and its anchor as Int, not Float', () => {
    const report = schema.getType('AuditChainReport') as GraphQLObjectType;
    expect(String(report.getFields()['entries']!.type)).toBe('Int!');
    expect(String(report.getFields()['brokenAtSeq']!.type)).toBe('Int');
    expect(String(report.getFields()['brokenAtPosition']!.type)).toBe('Int');
    const argument = schema.getQueryType()!.getFields()['verifyAuditChain']!.args.find((a) => a.name === 'knownEntries')!;
    expect(String(argument.type)).toBe('Int');
  });

  it('has no count-like field or argument typed Float anywhere', () => {
    const counts: string[] = [];
    const floats: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        for (const [name, fieldType] of [[field.name, field.type], ...field.args.map((a) => [a.name, a.type] as const)] as const) {
          if (!COUNT.test(name)) continue;
          counts.push(`${type.name}.${name}`);
          if (getNamedType(fieldType).name === 'Float') floats.push(`${type.name}.${name}`);
        }
      }
    }
    expect(counts.length).toBeGreaterThan(0);
    expect(floats).toEqual([]);
  });
});
