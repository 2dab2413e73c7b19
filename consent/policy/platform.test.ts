import { describe, expect, it } from 'vitest';
import type { Actor } from '../../schema/context.js';
import { authorize, decidePlatform, type PlatformAction, type PlatformTarget } from '../policy.js';

const resident: Actor = { sub: 'sub-res-1', role: 'resident', residentId: 'res-1' };
const clinician: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: 'inst-a', practitionerId: 'pr-wang' };
const steward: Actor = { sub: 'steward-zhao', role: 'steward' };
const researcher: Actor = { sub: 'researcher-qian', role: 'researcher' };
const auditor: Actor = { sub: 'auditor-sun', role: 'auditor' };
const hospital: Actor = { sub: 'his-inst-a', role: 'hospital_system', institutionId: 'inst-a' };

type Cell = [actor: string, subjectActor: Actor, action: PlatformAction, target: PlatformTarget, expected: { allowed: true; basis: string } | { allowed: false; reason: string }];
const allowed = (basis: string) => ({ allowed: true as const, basis });
const denied = (reason: string) => ({ allowed: false as const, reason });

const CELLS: Cell[] = [
  // Access requests: the resident or guardian decides; a ward does not; a steward does (level 5); the requester never.
  ['resident, own request', resident, 'approve', { type: 'AccessRequest', attributes: { residentId: 'res-1', standing: 'SELF' } }, allowed('RESIDENT')],
  ['guardian', resident, 'deny', { type: 'AccessRequest', attributes: { residentId: 'res-ward', standing: 'GUARDIAN' } }, allowed('RESIDENT')],
  ['ward', resident, 'approve', { type: 'AccessRequest', attributes: { residentId: 'res-1', standing: 'WARD_SELF' } }, denied('A resident under 14 decides access requests through their guardian.')],
  ['resident, someone else', resident, 'approve', { type: 'AccessRequest', attributes: { residentId: 'res-2', standing: 'NONE' } }, denied('Only the resident, their guardian, or a steward for level-5 data decides an access request.')],
  ['steward', steward, 'approve', { type: 'AccessRequest', attributes: { includesLevel5: true, standing: 'NONE' } }, allowed('STEWARD')],
  ['requester', clinician, 'approve', { type: 'AccessRequest', attributes: { requesterSub: 'dr-wang', standing: 'NONE' } }, denied('A requester cannot decide their own access request.')],
  ['other clinician', clinician, 'deny', { type: 'AccessRequest', attributes: { requesterSub: 'dr-li', standing: 'NONE' } }, denied('Only the resident, their guardian, or a steward for level-5 data decides an access request.')],
  ['clinician', clinician, 'request', 'AccessRequest', allowed('CLINICIAN')],
  ['steward', steward, 'request', 'AccessRequest', denied('Only a clinician at an institution can request access to a resident’s data.')],
  ['clinician without institution', { sub: 'dr-x', role: 'clinician' }, 'request', 'AccessRequest', denied('Only a clinician at an institution can request access to a resident’s data.')],
  // Consent: self and guardian; never a ward, another resident or another role.
  ['resident', resident, 'grant', { type: 'Consent', attributes: { residentId: 'res-1', standing: 'SELF' } }, allowed('SELF_OR_GUARDIAN')],
  ['guardian', resident, 'revoke', { type: 'Consent', attributes: { residentId: 'res-ward', standing: 'GUARDIAN' } }, allowed('SELF_OR_GUARDIAN')],
  ['ward', resident, 'grant', { type: 'Consent', attributes: { residentId: 'res-1', standing: 'WARD_SELF' } }, denied('A resident under 14 gives and withdraws consent through their guardian.')],
  ['resident, someone else', resident, 'grant', { type: 'Consent', attributes: { residentId: 'res-2', standing: 'NONE' } }, denied('You can give consent only for yourself or for a resident you are the guardian of.')],
  ['clinician', clinician, 'grant', 'Consent', denied('Only a resident, or the guardian of a resident under 14, can give or withdraw consent.')],
  // Scenarios: researchers submit; stewards review, never their own.
  ['researcher', researcher, 'submit', 'Scenario', allowed('RESEARCHER')],
  ['steward', steward, 'submit', 'Scenario', denied('Only a researcher submits research scenarios.')],
  ['steward, another’s scenario', steward, 'review', { type: 'Scenario', attributes: { submitterSub: 'researcher-qian' } }, allowed('STEWARD')],
  ['steward, own scenario', steward, 'review', { type: 'Scenario', attributes: { submitterSub: 'steward-zhao' } }, denied('Nobody reviews their own research scenario.')],
  ['researcher', researcher, 'review', { type: 'Scenario', attributes: { submitterSub: 'someone' } }, denied('Only a data steward reviews research scenarios.')],
  ['steward, second review of the same scenario', steward, 'review', { type: 'Scenario', attributes: { submitterSub: 'researcher-qian', reviewedBy: ['steward-li', 'steward-zhao'] } }, denied('You have already reviewed this scenario; a second approval must come from another steward.')],
  ['steward, reviewed by another steward', steward, 'review', { type: 'Scenario', attributes: { submitterSub: 'researcher-qian', reviewedBy: ['steward-li'] } }, allowed('STEWARD')],
  ['researcher lists', researcher, 'list', 'Scenario', allowed('OWN_SCENARIOS')],
  ['steward lists', steward, 'list', 'Scenario', allowed('REVIEW_QUEUE')],
  ['clinician lists', clinician, 'list', 'Scenario', denied('Only researchers (their own) and data stewards see research scenarios.')],
  ['researcher, approved scenario', researcher, 'read', { type: 'ResearchField', attributes: { researcherSub: 'researcher-qian', scenarioStatus: 'APPROVED' } }, allowed('APPROVED_SCENARIO')],
  ['researcher, pending scenario', researcher, 'read', { type: 'ResearchField', attributes: { researcherSub: 'researcher-qian', scenarioStatus: 'PENDING' } }, denied('Research fields are for the researcher of an approved scenario.')],
  ['researcher, another’s scenario', researcher, 'read', { type: 'ResearchField', attributes: { researcherSub: 'researcher-li', scenarioStatus: 'APPROVED' } }, denied('Research fields are for the researcher of an approved scenario.')],
  // Break-glass reviews, the audit chain.
  ['steward', steward, 'review', 'BreakGlassReview', allowed('STEWARD')],
  ['auditor', auditor, 'review', 'BreakGlassReview', denied('Only a data steward reviews break-glass accesses.')],
  ['auditor', auditor, 'verify', 'AuditChain', allowed('AUDITOR')],
  ['steward', steward, 'verify', 'AuditChain', allowed('STEWARD')],
  ['clinician', clinician, 'verify', 'AuditChain', denied('Only an auditor or a steward can verify the audit chain.')],
  // The Merkle log: residents, auditors and stewards read the signed head; auditors ask for consistency proofs.
  ['resident', resident, 'read', 'AuditTree', allowed('RESIDENT')],
  ['auditor', auditor, 'read', 'AuditTree', allowed('AUDITOR')],
  ['steward', steward, 'read', 'AuditTree', allowed('STEWARD')],
  ['clinician', clinician, 'read', 'AuditTree', denied('Only a resident, an auditor or a steward reads the audit log’s signed head.')],
  ['auditor', auditor, 'verify', 'AuditTree', allowed('AUDITOR')],
  ['steward', steward, 'verify', 'AuditTree', denied('Only an auditor asks for consistency proofs of the audit log.')],
  ['resident', resident, 'verify', 'AuditTree', denied('Only an auditor asks for consistency proofs of the audit log.')],
  // Feeds: own institution only, a condition on the subject; registration.
  ['hospital system, own institution', hospital, 'write', { type: 'Feed', attributes: { institutionId: 'inst-a' } }, allowed('OWN_INSTITUTION')],
  ['hospital system, other institution', hospital, 'write', { type: 'Feed', attributes: { institutionId: 'inst-b' } }, denied('Only a hospital system can push feed records, for its own institution.')],
  ['clinician', clinician, 'write', { type: 'Feed', attributes: { institutionId: 'inst-a' } }, denied('Only a hospital system can push feed records, for its own institution.')],
  ['hospital system', hospital, 'register', 'Resident', allowed('HOSPITAL_SYSTEM')],
  ['clinician', clinician, 'register', 'Resident', denied('Only a hospital system can register residents.')],
  // The access log is the resident's own.
  ['resident, own log', resident, 'read', { type: 'AccessLog', attributes: { residentId: 'res-1' } }, allowed('SELF')],
  ['resident, another’s log', resident, 'read', { type: 'AccessLog', attributes: { residentId: 'res-2' } }, denied('Only a resident has an access log.')],
  ['clinician', clinician, 'read', { type: 'AccessLog', attributes: {} }, denied('Only a resident has an access log.')],
  // Mutual recognition: clinicians ask; the clinician a candidate was shown to decides it; reports by institution; stewards maintain.
  ['clinician', clinician, 'ask', 'RecognitionQuery', allowed('CLINICIAN')],
  ['hospital system', hospital, 'ask', 'RecognitionQuery', denied('Only a clinician at an institution asks which prior results can be recognised.')],
  ['researcher', researcher, 'ask', 'RecognitionQuery', denied('Only a clinician at an institution asks which prior results can be recognised.')],
  ['clinician, shown to them', clinician, 'record', { type: 'RecognitionDecision', attributes: { shownToSub: 'dr-wang' } }, allowed('SHOWN_TO_ME')],
  ['clinician, shown to a colleague', clinician, 'record', { type: 'RecognitionDecision', attributes: { shownToSub: 'dr-li' } }, denied('Only the clinician a recognition candidate was shown to records its decision.')],
  ['clinician, no candidate', clinician, 'record', { type: 'RecognitionDecision', attributes: {} }, denied('Only the clinician a recognition candidate was shown to records its decision.')],
  ['steward', steward, 'record', { type: 'RecognitionDecision', attributes: { shownToSub: 'steward-zhao' } }, denied('Only the clinician a recognition candidate was shown to records its decision.')],
  ['steward, any institution', steward, 'read', { type: 'RecognitionReport', attributes: { institutionId: 'inst-b' } }, allowed('STEWARD')],
  ['clinician, own institution', clinician, 'read', { type: 'RecognitionReport', attributes: { institutionId: 'inst-a' } }, allowed('OWN_INSTITUTION')],
  ['clinician, another institution', clinician, 'read', { type: 'RecognitionReport', attributes: { institutionId: 'inst-b' } }, denied('Only a data steward, or an institution’s own clinicians for its rows, read the recognition report.')],
  ['hospital system', hospital, 'read', { type: 'RecognitionReport', attributes: { institutionId: 'inst-a' } }, denied('Only a data steward, or an institution’s own clinicians for its rows, read the recognition report.')],
  ['steward', steward, 'maintain', 'RecognitionCatalogue', allowed('STEWARD')],
  ['clinician', clinician, 'maintain', 'RecognitionCatalogue', denied('Only a data steward maintains the recognition catalogue and EQA statuses.')],
  ['hospital system', hospital, 'read', 'RecognitionCatalogue', allowed('HOSPITAL_SYSTEM')],
  ['auditor', auditor, 'read', 'RecognitionCatalogue', denied('Only clinicians, hospital systems and data stewards read the recognition catalogue.')],
  ['resident, own log named, under guardianship', resident, 'read', { type: 'AccessLog', attributes: { residentId: 'res-1', standing: 'WARD_SELF' } }, allowed('SELF')],
  ['guardian, the ward’s log', resident, 'read', { type: 'AccessLog', attributes: { residentId: 'res-2', standing: 'GUARDIAN' } }, allowed('GUARDIAN')],
  ['resident, a stranger’s log', resident, 'read', { type: 'AccessLog', attributes: { residentId: 'res-2', standing: 'NONE' } }, denied('You can read only your own access log, or that of a resident you are the guardian of.')],
  ['clinician, a resident’s log', clinician, 'read', { type: 'AccessLog', attributes: { residentId: 'res-2', standing: 'NONE' } }, denied('Only a resident has an access log.')],
];

describe('the platform rules', () => {
  it('has cells for every role', () => {
    expect(new Set(CELLS.map(([, actor]) => actor.role))).toEqual(new Set(['resident', 'clinician', 'steward', 'researcher', 'auditor', 'hospital_system']));
  });

  it.each(CELLS)('%s: %s %s → as expected', (_name, actor, action, target, expected) => {
    const decision = decidePlatform(actor, action, target);
    if (expected.allowed) expect(decision).toEqual({ allowed: true, basis: expected.basis });
    else expect(decision).toMatchObject({ allowed: false, reason: expected.reason });
  });

  it('throws FORBIDDEN with the denying rule’s reason from authorize, and returns the basis when allowed', () => {
    expect(authorize(hospital, 'write', { type: 'Feed', attributes: { institutionId: 'inst-a' } })).toBe('OWN_INSTITUTION');
    let thrown: unknown;
    try {
      authorize(steward, 'review', { type: 'Scenario', attributes: { submitterSub: 'steward-zhao' } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ message: 'Nobody reviews their own research scenario.', extensions: { code: 'FORBIDDEN' } });
  });

  it('tells a baseline denial (no part at all: callers answer "not found") from a specific one', () => {
    expect(decidePlatform(clinician, 'approve', { type: 'AccessRequest', attributes: { requesterSub: 'dr-li' } })).toMatchObject({ allowed: false, byBaseline: true });
    expect(decidePlatform(clinician, 'approve', { type: 'AccessRequest', attributes: { requesterSub: 'dr-wang' } })).toMatchObject({ allowed: false, byBaseline: false });
  });
});
