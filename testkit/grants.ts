/** Per-use grants for integration tests, obtained the way a clinician and a resident do it. */
import type { DataCategory } from '../schema/classification.js';
import type { TestPlatform } from './platform.js';

/** `clinician` requests `categories` of `residentActor`'s data for TREAT, the resident approves; returns the grant token. */
export async function approvedGrant(
  stack: TestPlatform,
  clinician: string,
  residentActor: string,
  request: { categories: DataCategory[]; uses?: number },
): Promise<string> {
  const residentId = stack.actor(residentActor).residentId;
  const requested = await stack.query<{ requestAccess: { id: string } }>(
    clinician,
    'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id } }',
    { input: { residentId, purpose: 'TREAT', reason: '会诊需要', ...request } },
  );
  const requestId = requested.body.data?.requestAccess.id;
  if (!requestId) throw new Error(`requestAccess failed: ${JSON.stringify(requested.body.errors)}`);
  const approved = await stack.query(residentActor, 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: requestId });
  if (approved.body.errors) throw new Error(`approveAccessRequest failed: ${JSON.stringify(approved.body.errors)}`);
  const mine = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string | null }> }>(clinician, '{ myAccessRequests { id grantToken } }');
  const token = mine.body.data?.myAccessRequests.find((r) => r.id === requestId)?.grantToken;
  if (!token) throw new Error('the approved request carries no grant token');
  return token;
}
