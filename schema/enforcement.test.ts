import { describe, expect, it } from 'vitest';
import { CLASSIFIED_DIRECTIVE_SDL, classified } from './classification.js';
import { declarationGaps, ENFORCEMENT_DIRECTIVES_SDL, inputIs, readEnforcementDeclarations, rootDeclaration, rootIs } from './enforcement.js';
import { loadSupergraphSdl } from './supergraph.js';

const supergraph = loadSupergraphSdl();

describe('the enforcement declarations of the supergraph', () => {
  const declarations = readEnforcementDeclarations(supergraph);

  it('declare every root field of Query and Mutation exactly once, internal lookups inaccessible, every identifying input protected', () => {
    expect(declarations.roots.size).toBeGreaterThan(0);
    expect(declarationGaps(supergraph)).toEqual({ undeclared: [], overDeclared: [], internalMismatch: [], unprotected: [] });
  });

  it('say what each root is', () => {
    const table = Object.fromEntries([...declarations.roots].map(([coordinate, declaration]) => [coordinate, declaration.kind]));
    expect(table).toEqual({
      'Query.ownEncounterResidentIds': 'internal',
      'Query.recognitionCandidateResidentIds': 'internal',
      'Query.me': 'platform',
      'Query.myConsents': 'platform',
      'Query.myConsentsFhir': 'platform',
      'Query.myAccessLog': 'subject',
      'Query.breakGlassReviews': 'platform',
      'Query.myAccessRequests': 'platform',
      'Query.verifyAuditChain': 'platform',
      'Query.auditTreeHead': 'platform',
      'Query.auditConsistencyProof': 'platform',
      'Query.scenarios': 'platform',
      'Query.researchCohort': 'research',
      'Query.researchAggregate': 'research',
      'Mutation.storeScenarioMart': 'internal',
      'Mutation.forgetMartSubjects': 'internal',
      'Query.resident': 'subject',
      'Query.findResident': 'lookup',
      'Query.findResidentByHealthCard': 'lookup',
      'Query.residentIdByIdCardIndex': 'internal',
      'Query.knownResidentIds': 'internal',
      'Query.myArchive': 'ownRecord',
      'Query.institutions': 'platform',
      'Query.institution': 'platform',
      'Query.practitioner': 'platform',
      'Mutation.recordFollowUps': 'feed',
      'Mutation.recordEncounters': 'feed',
      'Mutation.grantConsent': 'write',
      'Mutation.revokeConsent': 'write',
      'Mutation.reviewBreakGlass': 'write',
      'Mutation.requestAccess': 'write',
      'Mutation.approveAccessRequest': 'write',
      'Mutation.denyAccessRequest': 'write',
      'Mutation.recordImmunizations': 'feed',
      'Mutation.registerResident': 'write',
      'Mutation.recordLabReports': 'feed',
      'Mutation.recordImagingReports': 'feed',
      'Mutation.submitScenario': 'write',
      'Mutation.reviewScenario': 'write',
      'Query.recognizableResults': 'subject',
      'Query.recognitionReport': 'platform',
      'Query.recognitionCatalogue': 'platform',
      'Query.recognitionInstitutionGrades': 'platform',
      'Query.feedCatalogueItems': 'internal',
      'Mutation.setRecognitionInstitutionGrade': 'write',
      'Query.recognitionEqaStatuses': 'platform',
      'Mutation.recordRecognitionDecision': 'write',
      'Mutation.upsertRecognitionItem': 'write',
      'Mutation.setRecognitionEqaStatus': 'write',
    });
  });

  it('name the record a recognition decision is about, whose resident its audit entry goes to', () => {
    expect(rootDeclaration(declarations, 'mutation', 'recordRecognitionDecision')).toEqual({
      kind: 'write',
      protects: [],
      about: { argument: 'candidateId', kind: 'recognitionCandidate', category: 'RESULTS' },
    });
    expect(rootDeclaration(declarations, 'query', 'recognizableResults')).toEqual({ kind: 'subject', argument: 'residentId' });
  });

  it('name the resident of reads, the blind index of lookups, and the identifying fields of a registration', () => {
    expect(rootDeclaration(declarations, 'query', 'resident')).toEqual({ kind: 'subject', argument: 'id' });
    expect(rootDeclaration(declarations, 'query', 'myArchive')).toEqual({ kind: 'ownRecord' });
    expect(rootDeclaration(declarations, 'query', 'findResident')).toEqual({ kind: 'lookup', argument: 'idCardNumber', index: 'idCard' });
    expect(rootDeclaration(declarations, 'query', 'findResidentByHealthCard')).toEqual({ kind: 'lookup', argument: 'healthCardNumber', index: 'healthCard' });
    expect(rootDeclaration(declarations, 'mutation', 'registerResident')).toEqual({
      kind: 'write',
      newResident: 'id',
      protects: [
        {
          argument: 'input',
          fields: [
            { field: 'name', kind: 'NAME', required: true, storedAs: 'Resident.name' },
            { field: 'idCardNumber', kind: 'ID_CARD', required: true, storedAs: 'Resident.idCardNumber', index: { into: 'idCardIndex', kind: 'idCard' } },
            { field: 'healthCardNumber', kind: 'HEALTH_CARD', required: false, storedAs: 'Resident.healthCardNumber', index: { into: 'healthCardIndex', kind: 'healthCard' } },
            { field: 'phone', kind: 'PHONE', required: false, storedAs: 'Resident.phone', index: { into: 'phoneIndex', kind: 'phone' } },
            { field: 'address', kind: 'ADDRESS', required: false, storedAs: 'Resident.address' },
          ],
        },
      ],
    });
    expect(rootDeclaration(declarations, 'mutation', 'grantConsent')).toEqual({ kind: 'write', protects: [] });
    // A query root's name under Mutation is not declared: lookups go by the operation's root type.
    expect(rootDeclaration(declarations, 'mutation', 'resident')).toBeUndefined();
  });

  it('name each feed’s category, resident field and references', () => {
    expect(rootDeclaration(declarations, 'mutation', 'recordEncounters')).toEqual({
      kind: 'feed',
      argument: 'input',
      category: 'CLINICAL',
      residentField: 'residentId',
      references: { residentId: 'resident', attendingPractitionerId: 'practitioner' },
      protects: [{ argument: 'input', fields: [{ field: 'chiefComplaint', kind: 'TEXT', required: false, storedAs: 'Encounter.chiefComplaint' }] }],
      checkOnly: 'checkOnly',
    });
    expect(rootDeclaration(declarations, 'mutation', 'recordLabReports')).toMatchObject({ category: 'RESULTS', references: { residentId: 'resident', encounterId: 'encounter' }, protects: [], checkOnly: 'checkOnly' });
    expect(rootDeclaration(declarations, 'mutation', 'recordImagingReports')).toMatchObject({ category: 'RESULTS', references: { residentId: 'resident', encounterId: 'encounter' }, protects: [], checkOnly: 'checkOnly' });
    expect(rootDeclaration(declarations, 'mutation', 'recordImmunizations')).toMatchObject({ category: 'PUBLIC_HEALTH', references: { residentId: 'resident' } });
    expect(rootDeclaration(declarations, 'mutation', 'recordFollowUps')).toMatchObject({ category: 'PUBLIC_HEALTH', references: { residentId: 'resident' } });
  });
});

/** A small SDL with the platform's directives and these definitions. */
const sdl = (body: string) => `${CLASSIFIED_DIRECTIVE_SDL}\n${ENFORCEMENT_DIRECTIVES_SDL}\ndirective @inaccessible on FIELD_DEFINITION\n${body}`;

describe('declarationGaps', () => {
  it('reports roots with no declaration or two, internal roots that are reachable, and identifying inputs no write protects', () => {
    const gaps = declarationGaps(
      sdl(`
        type Query {
          a: String ${rootIs.platform}
          bare: String
          both: String ${rootIs.platform} ${rootIs.subject('id')}
          hidden: String @inaccessible
          reachable: String ${rootIs.internal}
        }
        type Mutation { note(input: NoteInput!): String ${rootIs.write({ newResident: 'id' })} }
        input NoteInput { id: ID text: String ${inputIs.identifying('TEXT', 'Note.text')} }
        type Note { id: ID! ${classified('CLINICAL', 2)} text: String ${classified('CLINICAL', 4, { encrypted: true, mask: 'TEXT' })} }
      `),
    );
    expect(gaps).toEqual({ undeclared: ['Query.bare', 'Query.hidden'], overDeclared: ['Query.both'], internalMismatch: ['Query.reachable'], unprotected: [] });
  });

  it('reports an identifying field no write protects, or stored under a coordinate not classified encrypted with its kind', () => {
    const gaps = declarationGaps(
      sdl(`
        type Query { a: String ${rootIs.platform} }
        type Mutation { record(input: [RecordInput!]!): [ID!]! ${rootIs.feed('input', 'CLINICAL')} }
        input RecordInput {
          residentId: ID! ${inputIs.reference('RESIDENT')}
          note: String ${inputIs.identifying('TEXT', 'Record.note')}
          secret: String ${inputIs.identifying('TEXT', 'Record.secret')}
        }
        input Orphan { name: String ${inputIs.identifying('NAME', 'Person.name')} }
        type Record { id: ID! ${classified('CLINICAL', 2)} note: String ${classified('CLINICAL', 4, { encrypted: true, mask: 'TEXT' })} secret: String ${classified('CLINICAL', 4)} }
      `),
    );
    expect(gaps.unprotected).toEqual(['RecordInput.secret', 'Orphan.name']);
  });
});

describe('readEnforcementDeclarations', () => {
  it.each([
    ['two declarations on one root', `type Query { a(id: ID): String ${rootIs.platform} ${rootIs.subject('id')} }`, /exactly one/],
    ['an argument the root does not have', `type Query { a(id: ID): String ${rootIs.subject('residentId')} }`, /argument it does not have: residentId/],
    ['a lookup of a kind with no master patient index', `type Query { a(n: String): String @lookup(argument: "n", kind: "NAME") }`, /no master patient index: NAME/],
    ['a feed of an unknown category', `type Mutation { a(input: [I!]!): [ID!]! @feed(argument: "input", category: "GOSSIP") } input I { r: ID ${inputIs.reference('RESIDENT')} }`, /unknown category: GOSSIP/],
    ['a feed without a resident reference', `type Mutation { a(input: [I!]!): [ID!]! ${rootIs.feed('input', 'CLINICAL')} } input I { r: ID }`, /exactly one @reference/],
    ['identifying fields bound to no resident', `type Mutation { a(input: I!): ID ${rootIs.write()} } input I { n: String ${inputIs.identifying('NAME', 'P.n')} }`, /binds them to no resident/],
    ['a registration naming an input field it does not have', `type Mutation { a(input: I!): ID ${rootIs.write({ newResident: 'id' })} } input I { n: String ${inputIs.identifying('NAME', 'P.n')} }`, /no input field id/],
    ['an index of a kind that has none', `type Mutation { a(input: I!): ID ${rootIs.write({ newResident: 'id' })} } input I { id: ID n: String ${inputIs.identifying('NAME', 'P.n', { indexInto: 'x' })} }`, /a NAME has no blind index/],
  ])('refuses %s', (_case, body, message) => {
    expect(() => readEnforcementDeclarations(sdl(body))).toThrow(message);
  });
});
