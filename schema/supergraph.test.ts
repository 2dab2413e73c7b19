import { composeServices as composeWithGuild } from '@theguild/federation-composition';
import { buildASTSchema, isNonNullType, isObjectType, parse } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildServedSdls } from '../scripts/subgraphs.js';
import { readClassifications } from './classification.js';
import { composeSupergraph, loadSupergraphSdl } from './supergraph.js';

/** Types that carry no personal data of their own: roots and federation/join machinery. */
const UNCLASSIFIED_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

describe('the composed supergraph', () => {
  let sdls: Awaited<ReturnType<typeof buildServedSdls>>;
  let checkedIn: string;
  beforeAll(async () => {
    sdls = await buildServedSdls();
    checkedIn = loadSupergraphSdl();
  });

  it('is up to date with the subgraphs (run `npm run compose` after changing one)', () => {
    expect(composeSupergraph(sdls)).toBe(checkedIn);
  });

  it('also composes without errors under @theguild/federation-composition', () => {
    const result = composeWithGuild(sdls.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
    expect(result.errors?.map((e) => e.message) ?? []).toEqual([]);
    expect(result.supergraphSdl).toContain('@classified');
  });

  it('classifies every field of every object type, and keeps fields above level 2 nullable', () => {
    const classifications = readClassifications(checkedIn);
    const schema = buildASTSchema(parse(checkedIn), { assumeValidSDL: true });
    const unclassified: string[] = [];
    const nonNullSensitive: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || type.name.startsWith('join__') || type.name.startsWith('link__')) continue;
      if (UNCLASSIFIED_TYPES.has(type.name)) continue;
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        const classification = classifications.get(coordinate);
        if (!classification) unclassified.push(coordinate);
        else if (classification.level > 2 && isNonNullType(field.type) && field.name !== 'id') nonNullSensitive.push(coordinate);
      }
    }
    expect(unclassified).toEqual([]);
    expect(nonNullSensitive).toEqual([]);
  });

  it('marks the identifying resident fields as encrypted level-4 demographics with a mask', () => {
    const classifications = readClassifications(checkedIn);
    for (const field of ['name', 'idCardNumber', 'phone', 'address']) {
      expect(classifications.get(`Resident.${field}`)).toMatchObject({ category: 'DEMOGRAPHICS', level: 4, encrypted: true });
      expect(classifications.get(`Resident.${field}`)?.mask).toEqual(expect.any(String));
    }
    expect(classifications.get('Institution.name')).toEqual({ category: 'RESOURCES', level: 1, encrypted: false });
  });
});
