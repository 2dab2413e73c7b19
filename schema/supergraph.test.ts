import { composeServices as composeWithGuild } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildServedSdls } from '../scripts/subgraphs.js';
import { classificationGaps, readClassifications } from './classification.js';
import { composeSupergraph, loadSupergraphSdl } from './supergraph.js';

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
    expect(classificationGaps(checkedIn)).toEqual({ unclassified: [], nonNullAboveLevel2: [] });
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
