/** Pending access requests in plain words, approve or deny each (一使用一授权), and those waiting for a steward. */
import { useState } from 'preact/hooks';
import { gql } from '../api';
import type { Subject } from '../app';
import { Loading, Section } from '../components';
import { fill, formatDateTime, words } from '../i18n';
import { categoryList, purposeName } from '../labels';
import { useLoad } from '../load';

export interface AccessRequestView {
  id: string;
  residentId: string | null;
  categories: string[];
  purpose: string;
  reason: string | null;
  uses: number;
  validForMinutes: number;
  includesLevel5: boolean;
  status: string;
  residentDecision: string | null;
  createdAt: string;
  requester: { practitioner: { name: string; title: string; department: string } | null; institution: { name: string } | null } | null;
}

const REQUESTS = `query PortalRequests { myAccessRequests {
  id residentId categories purpose reason uses validForMinutes includesLevel5 status residentDecision createdAt
  requester { practitioner { name title department } institution { name } }
} }`;

export function RequestsPage({ subject }: { subject: Subject }) {
  const t = words();
  const requests = useLoad(async () => (await gql<{ myAccessRequests: AccessRequestView[] }>(REQUESTS)).myAccessRequests.filter((r) => r.residentId === subject.id), [subject.id]);
  return (
    <>
      <h1>{t.requestsTitle}</h1>
      <p class="muted">{t.requestsHint}</p>
      <Loading loaded={requests}>
        {(list) => {
          const open = list.filter((r) => r.status === 'PENDING' || r.status === 'PARTIALLY_APPROVED');
          const decided = list.filter((r) => !open.includes(r));
          return (
            <>
              <Section id="pending" title={t.pending}>
                {open.length === 0 ? <p>{t.noRequests}</p> : <ul class="list">{open.map((r) => <RequestItem key={r.id} request={r} onDecided={requests.reload} />)}</ul>}
              </Section>
              {decided.length > 0 && (
                <Section id="decided" title={t.decided}>
                  <ul class="list">
                    {decided.map((r) => (
                      <RequestItem key={r.id} request={r} onDecided={requests.reload} />
                    ))}
                  </ul>
                </Section>
              )}
            </>
          );
        }}
      </Loading>
    </>
  );
}

function who(request: AccessRequestView): string {
  const t = words();
  const practitioner = request.requester?.practitioner;
  const institution = request.requester?.institution?.name ?? '';
  return practitioner ? `${institution} ${practitioner.department} ${practitioner.name}${practitioner.title ? `（${practitioner.title}）` : ''}` : `${institution} ${t.aClinician}`;
}

function RequestItem({ request, onDecided }: { request: AccessRequestView; onDecided(): void }) {
  const t = words();
  const [error, setError] = useState<string | undefined>(undefined);
  const decide = (mutation: 'approveAccessRequest' | 'denyAccessRequest') =>
    gql(`mutation PortalDecide($id: ID!) { ${mutation}(id: $id) { id status } }`, { id: request.id }).then(onDecided, (e: Error) => setError(e.message));
  const open = request.status === 'PENDING' || (request.status === 'PARTIALLY_APPROVED' && !request.residentDecision);
  const titleId = `request-${request.id}`;
  return (
    <li class="item" aria-labelledby={titleId} data-request={request.id}>
      <p id={titleId}>{fill(t.requestSentence, { who: who(request), categories: categoryList(request.categories), purpose: purposeName(request.purpose) })}</p>
      {request.reason && (
        <p>
          <span class="label">{t.reason}：</span>
          {request.reason}
        </p>
      )}
      <p class="muted">
        {fill(t.usesWindow, { uses: request.uses, minutes: request.validForMinutes })} · {formatDateTime(request.createdAt)} · <span class="status">{t.statuses[request.status] ?? request.status}</span>
      </p>
      {request.includesLevel5 && <p class="badge sensitive">{request.status === 'PARTIALLY_APPROVED' ? t.stewardPending : t.waitsForSteward}</p>}
      {open && (
        <p class="actions">
          <button type="button" class="primary" onClick={() => decide('approveAccessRequest')}>
            {t.approve}
          </button>
          <button type="button" class="danger" onClick={() => decide('denyAccessRequest')}>
            {t.deny}
          </button>
        </p>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </li>
  );
}
