import { describe, expect, it } from 'vitest';
import type { Actor } from '../../schema/context.js';
import { categoryScopes, decideField, defineAbilityFor, type DecisionFacts } from '../policy.js';

const drWang: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: 'inst-a', practitionerId: 'pr-wang' };

function facts(change: Partial<DecisionFacts> = {}): DecisionFacts {
  return {
    actor: drWang,
    purpose: 'TREAT',
    residentId: 'res-1',
    relationship: { self: false, guardian: false, treatedAtActorInstitution: true },
    deniedByConsent: [],
    ...change,
  };
}

describe('the row scope, derived from the rules’ conditions', () => {
  it('restricts care-relationship categories to the institution the rule’s condition names, and demographics not at all', () => {
    expect(categoryScopes(defineAbilityFor(facts()))).toEqual({
      DEMOGRAPHICS: { maxLevel: 4 },
      HEALTH_STATUS: { maxLevel: 4, institutionId: 'inst-a' },
      CLINICAL: { maxLevel: 4, institutionId: 'inst-a' },
      RESULTS: { maxLevel: 4, institutionId: 'inst-a' },
      PUBLIC_HEALTH: { maxLevel: 4, institutionId: 'inst-a' },
    });
  });

  it('lifts the restriction where a grant’s rule (no institution condition) opens the category, and closes what a consent denies', () => {
    const granted = facts({ grant: { id: 'g-1', categories: ['CLINICAL'], maxLevel: 5 }, deniedByConsent: ['RESULTS'] });
    const scopes = categoryScopes(defineAbilityFor(granted));
    expect(scopes.CLINICAL).toEqual({ maxLevel: 5 });
    expect(scopes.RESULTS).toBeUndefined();
    expect(scopes.HEALTH_STATUS).toEqual({ maxLevel: 4, institutionId: 'inst-a' });
  });

  it('opens nothing for a clinician without a purpose, and says why from the denying rule', () => {
    const ability = defineAbilityFor(facts({ purpose: 'HRESCH' }));
    expect(categoryScopes(ability)).toEqual({});
    expect(decideField(ability, facts({ purpose: 'HRESCH' }), { category: 'CLINICAL', level: 3 })).toEqual({
      effect: 'denied',
      code: 'FORBIDDEN',
      reason: 'The purpose HRESCH does not allow a clinician to read CLINICAL data.',
      missing: { category: 'CLINICAL', need: 'purpose' },
    });
  });
});
