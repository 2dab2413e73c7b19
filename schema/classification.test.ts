import { describe, expect, it } from 'vitest';
import { CLASSIFIED_DIRECTIVE_SDL, classificationGaps, classified, readClassifications } from './classification.js';

const SDL = `${CLASSIFIED_DIRECTIVE_SDL}
type Query { a: A }
type A {
  id: ID! ${classified('DEMOGRAPHICS', 3)}
  name: String ${classified('DEMOGRAPHICS', 4, { encrypted: true, mask: 'NAME' })}
  secret: String!  ${classified('CLINICAL', 4)}
  bare: String
}
interface Named { label: String }`;

describe('classification in SDL', () => {
  it('reads category, level, encryption and mask per coordinate', () => {
    expect(readClassifications(SDL).get('A.name')).toEqual({ category: 'DEMOGRAPHICS', level: 4, encrypted: true, mask: 'NAME' });
  });

  it('reports unclassified object and interface fields and non-null fields above level 2, exempting roots and ids', () => {
    expect(classificationGaps(SDL)).toEqual({ unclassified: ['A.bare', 'Named.label'], nonNullAboveLevel2: ['A.secret'] });
  });
});
