/**
 * The access log, newest first: every read and write, with emergency, research and hospital-feed
 * entries marked; each names what allowed it, with a one-click withdrawal of that from the entry.
 */
import { useState } from 'preact/hooks';
import { gql } from '../api';
import type { Subject } from '../app';
import { Loading, Section } from '../components';
import { fill, formatDateTime, lang, words } from '../i18n';
import { categoryList, purposeName } from '../labels';
import { useLoad } from '../load';
import { grantConsent } from './consents';

interface LogEntry {
  id: string;
  kind: 'READ' | 'WRITE';
  summary: string;
  action: string | null;
  at: string;
  actorRole: string;
  actorInstitution: { id: string; name: string } | null;
  actorPractitioner: { name: string; department: string } | null;
  purpose: string | null;
  categories: string[];
  deniedCategories: string[];
  outcome: string;
  breakGlass: boolean;
  breakGlassReason: string | null;
  startedCare: boolean;
  allowedBy: { kind: string; accessRequestId: string | null; consentId: string | null; institution: { id: string; name: string } | null; active: boolean };
}

/** The subject's log: one's own (no residentId), or a ward's, which only their guardian may read. */
const LOG = `query PortalLog($after: String, $residentId: ID) { myAccessLog(first: 30, after: $after, residentId: $residentId) {
  edges { node {
    id kind summary action at actorRole purpose categories deniedCategories outcome breakGlass breakGlassReason startedCare
    actorInstitution { id name } actorPractitioner { name department }
    allowedBy { kind accessRequestId consentId institution { id name } active }
  } }
  pageInfo { hasNextPage endCursor }
} }`;

/** Categories a care-relationship refusal closes (identity stays with the treating record itself). */
const CARE_CATEGORIES = ['HEALTH_STATUS', 'CLINICAL', 'RESULTS', 'PUBLIC_HEALTH'];

export function LogPage({ subject }: { subject: Subject }) {
  const t = words();
  // The pages shown, per subject: switching to a ward starts at the ward's newest entries.
  const [paging, setPaging] = useState<{ subjectId: string; pages: string[] }>({ subjectId: subject.id, pages: [] });
  const pages = paging.subjectId === subject.id ? paging.pages : [];
  const setPages = (next: string[]) => setPaging({ subjectId: subject.id, pages: next });
  const residentId = subject.self ? null : subject.id;
  const log = useLoad(async () => {
    const entries: LogEntry[] = [];
    let after: string | null = null;
    let hasNextPage = false;
    for (const _ of [undefined, ...pages]) {
      const answer: { myAccessLog: { edges: Array<{ node: LogEntry }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await gql(LOG, { after, residentId });
      entries.push(...answer.myAccessLog.edges.map((e) => e.node));
      ({ hasNextPage } = answer.myAccessLog.pageInfo);
      after = answer.myAccessLog.pageInfo.endCursor;
      if (!hasNextPage) break;
    }
    return { entries, hasNextPage, endCursor: after };
  }, [subject.id, pages.length]);
  return (
    <>
      <h1>{t.logTitle}</h1>
      <p class="muted">{t.logHint}</p>
      {!subject.self && <p class="badge">{t.logWardNote}</p>}
      <Loading loaded={log}>
        {({ entries, hasNextPage, endCursor }) => (
          <Section id="entries" title={t.logTitle}>
            {entries.length === 0 ? (
              <p>{t.noLog}</p>
            ) : (
              <ol class="list">
                {entries.map((entry) => (
                  <Entry key={entry.id} entry={entry} subject={subject} onChange={log.reload} />
                ))}
              </ol>
            )}
            {hasNextPage && endCursor && (
              <button type="button" onClick={() => setPages([...pages, endCursor])}>
                {t.more}
              </button>
            )}
          </Section>
        )}
      </Loading>
    </>
  );
}

function Marks({ entry }: { entry: LogEntry }) {
  const t = words();
  return (
    <>
      {entry.breakGlass && <span class="badge alert">{t.breakGlass}</span>}
      {entry.purpose === 'HRESCH' && <span class="badge">{t.research}</span>}
      {/* a write by an institution's system, not by a person of it */}
      {entry.kind === 'WRITE' && entry.actorInstitution && !entry.actorPractitioner && <span class="badge">{t.feed}</span>}
      {entry.outcome === 'DENIED' && <span class="badge">{t.refused}</span>}
    </>
  );
}

/** The entry in one sentence in the page's language (the API's summary is English), about the subject: "your" data, or the ward's. */
function sentenceOf(entry: LogEntry, actor: string, subject: Subject): string {
  const t = words();
  const ward = subject.name ?? subject.id;
  const whose = subject.self ? t.whoseSelf : fill(t.whoseWard, { name: ward });
  const whom = subject.self ? t.whomSelf : ward;
  if (entry.kind === 'WRITE') {
    if (lang.value === 'en') return entry.summary;
    const action = entry.action ? t.writeActions[entry.action] : undefined;
    const categories = categoryList(entry.categories);
    return action ? `${actor} ${action}` : fill(categories ? t.logWrite : t.logWriteAny, { actor, categories, whom });
  }
  if (entry.outcome === 'DENIED') return fill(t.logRefused, { actor, whose, categories: categoryList(entry.deniedCategories) });
  const read = fill(t.logRead, { actor, whose, categories: categoryList(entry.categories) });
  return entry.deniedCategories.length ? `${read}${fill(t.logPartly, { whose, categories: categoryList(entry.deniedCategories) })}` : read;
}

/** One entry; its withdrawals act for the subject (a guardian withdraws a ward's grants and consents). */
function Entry({ entry, subject, onChange }: { entry: LogEntry; subject: Subject; onChange(): void }) {
  const t = words();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const basis = entry.allowedBy;
  const institutionName = basis.institution?.name ?? entry.actorInstitution?.name ?? '';
  const actor =
    basis.kind === 'SELF'
      ? t.you
      : entry.actorPractitioner
        ? `${entry.actorInstitution?.name ?? ''} ${entry.actorPractitioner.department} ${entry.actorPractitioner.name}`
        : `${entry.actorInstitution?.name ?? ''} ${t.roleNames[entry.actorRole] ?? entry.actorRole}`;
  const run = (action: () => Promise<unknown>) => action().then(onChange, (e: Error) => setError(e.message));
  const titleId = `entry-${entry.id}`;
  return (
    <li class={`item${entry.breakGlass ? ' flagged' : ''}`} aria-labelledby={titleId} data-entry={entry.id} data-basis={basis.kind}>
      <p id={titleId} class="row">
        <strong>{formatDateTime(entry.at)}</strong> <Marks entry={entry} />
      </p>
      <p>{sentenceOf(entry, actor, subject)}</p>
      <p class="muted">
        {purposeName(entry.purpose)}
        {entry.categories.length > 0 ? ` · ${categoryList(entry.categories)}` : ''}
        {entry.breakGlassReason ? ` · ${entry.breakGlassReason}` : ''}
      </p>
      <p class="basis">
        <span class="label">{t.allowedBy}：</span>
        {fill(t.basis[basis.kind] ?? basis.kind, { institution: institutionName })}
        {!basis.active && (basis.kind === 'GRANT' || basis.kind === 'CONSENT') && <span class="status"> · {t.withdrawn}</span>}
      </p>
      {basis.active && basis.kind === 'GRANT' && basis.accessRequestId && (
        <button type="button" class="danger" onClick={() => run(() => gql('mutation PortalWithdrawGrant($id: ID!) { denyAccessRequest(id: $id) { id status } }', { id: basis.accessRequestId }))}>
          {t.revokeGrant}
        </button>
      )}
      {basis.active && basis.kind === 'CONSENT' && basis.consentId && (
        <button type="button" class="danger" onClick={() => run(() => gql('mutation PortalWithdrawConsent($id: ID!) { revokeConsent(id: $id) { id status } }', { id: basis.consentId }))}>
          {t.revokeConsent}
        </button>
      )}
      {basis.kind === 'CARE_RELATIONSHIP' && basis.institution && !confirming && (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          {t.denyInstitution}
        </button>
      )}
      {confirming && basis.institution && (
        <div class="confirm" role="group" aria-label={t.denyInstitution}>
          <p>{fill(t.denyInstitutionConfirm, { institution: institutionName })}</p>
          <button
            type="button"
            class="danger"
            onClick={() =>
              run(() =>
                grantConsent(
                  subject,
                  { provision: 'DENY', recipient: { kind: 'INSTITUTION', id: basis.institution!.id }, categories: CARE_CATEGORIES, purposes: ['TREAT', 'HOPERAT'], autoApprove: false },
                ),
              )
            }
          >
            {t.confirm}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            {t.cancel}
          </button>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </li>
  );
}
