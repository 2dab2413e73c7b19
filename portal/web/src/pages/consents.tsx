/** Consents per purpose, recipient and category (单独同意): grant (notice shown first), narrow, revoke, receipts. */
import { useState } from 'preact/hooks';
import type { ArchiveConsent } from '../../../shared/archive';
import { download, gql } from '../api';
import type { Subject } from '../app';
import { CheckboxGroup, Loading, Section } from '../components';
import { fill, formatDate, NOTICE_VERSION, words } from '../i18n';
import { categoryList, purposeName } from '../labels';
import { useLoad } from '../load';

interface ConsentView extends ArchiveConsent {
  residentId: string | null;
  autoApprove: boolean | null;
  receiptUrl: string | null;
}

const CONSENTS = `query PortalConsents { myConsents { id version residentId status provision categories purposes recipient { kind id } validFrom validUntil noticeVersion recordedAt guardianId autoApprove receiptUrl } }`;
const INSTITUTIONS = `query PortalInstitutions { institutions(first: 100) { id name } }`;
const GRANT = `mutation PortalGrant($input: ConsentInput!) { grantConsent(input: $input) { id version status } }`;
const REVOKE = `mutation PortalRevoke($id: ID!) { revokeConsent(id: $id) { id version status } }`;

export const CONSENT_CATEGORIES = ['DEMOGRAPHICS', 'HEALTH_STATUS', 'CLINICAL', 'RESULTS', 'PAYMENT', 'PUBLIC_HEALTH'] as const;
export const CONSENT_PURPOSES = ['TREAT', 'HOPERAT', 'HRESCH'] as const;

export interface ConsentDraft {
  provision: 'PERMIT' | 'DENY';
  recipient: { kind: string; id?: string };
  categories: string[];
  purposes: string[];
  autoApprove: boolean;
}

/** Grants a consent for the subject (a ward's records the guardian). */
export function grantConsent(subject: Subject, draft: ConsentDraft): Promise<unknown> {
  return gql(GRANT, {
    input: {
      categories: draft.categories,
      recipient: draft.recipient,
      purposes: draft.purposes,
      provision: draft.provision,
      noticeVersion: NOTICE_VERSION,
      autoApprove: draft.provision === 'PERMIT' && draft.autoApprove,
      ...(subject.self ? {} : { residentId: subject.id }),
    },
  });
}

export function ConsentsPage({ subject }: { subject: Subject }) {
  const t = words();
  const consents = useLoad(async () => (await gql<{ myConsents: ConsentView[] }>(CONSENTS)).myConsents.filter((c) => c.residentId === subject.id), [subject.id]);
  const institutions = useLoad(async () => (await gql<{ institutions: Array<{ id: string; name: string }> }>(INSTITUTIONS)).institutions, []);
  const names = new Map((institutions.data ?? []).map((i) => [i.id, i.name]));
  return (
    <>
      <h1>{t.consentsTitle}</h1>
      <p class="muted">{t.consentsHint}</p>
      <Loading loaded={consents}>
        {(list) => (
          <Section id="current-consents" title={t.consentsTitle}>
            {list.length === 0 ? <p>{t.noConsents}</p> : <ul class="list">{list.map((c) => <ConsentItem key={c.id} consent={c} subject={subject} names={names} onChange={consents.reload} />)}</ul>}
          </Section>
        )}
      </Loading>
      <Section id="new-consent" title={t.newConsent}>
        <ConsentForm subject={subject} institutions={institutions.data ?? []} onGranted={consents.reload} />
      </Section>
    </>
  );
}

function recipientName(recipient: ConsentView['recipient'], names: Map<string, string>): string {
  const t = words();
  if (!recipient) return '—';
  if (recipient.kind === 'ANYONE') return t.recipientKinds['ANYONE']!;
  return `${t.recipientKinds[recipient.kind] ?? recipient.kind} ${names.get(recipient.id ?? '') ?? recipient.id ?? ''}`;
}

function ConsentItem({ consent, subject, names, onChange }: { consent: ConsentView; subject: Subject; names: Map<string, string>; onChange(): void }) {
  const t = words();
  const [narrowing, setNarrowing] = useState(false);
  const [kept, setKept] = useState<string[]>(consent.categories ?? []);
  const [error, setError] = useState<string | undefined>(undefined);
  const active = consent.status === 'ACTIVE';
  const titleId = `consent-${consent.id}`;
  const narrow = async () => {
    // A consent's versions are append-only and keep their scope: narrowing is a new, narrower consent, then withdrawing the old one.
    await grantConsent(subject, {
      provision: consent.provision === 'DENY' ? 'DENY' : 'PERMIT',
      recipient: consent.recipient?.id ? { kind: consent.recipient.kind, id: consent.recipient.id } : { kind: consent.recipient?.kind ?? 'ANYONE' },
      categories: kept,
      purposes: consent.purposes ?? [],
      autoApprove: consent.autoApprove ?? false,
    });
    await gql(REVOKE, { id: consent.id });
  };
  return (
    <li class="item" aria-labelledby={titleId} data-consent={consent.id}>
      <p id={titleId} class="row">
        <strong class={consent.provision === 'DENY' ? 'deny' : 'permit'}>{consent.provision === 'DENY' ? t.denyProvision : t.permit}</strong> {recipientName(consent.recipient, names)} ·{' '}
        {categoryList(consent.categories)} · {(consent.purposes ?? []).map(purposeName).join('/')}
      </p>
      <p class="muted">
        <span class="status">{active ? t.active : t.revoked}</span> · {fill(t.version, { n: consent.version })} · {t.noticeVersion} {consent.noticeVersion} · {t.validFrom} {formatDate(consent.validFrom)}
        {consent.validUntil ? ` · ${t.validUntil} ${formatDate(consent.validUntil)}` : ''}
      </p>
      <p class="actions">
        {consent.receiptUrl && (
          <button type="button" onClick={() => download(consent.receiptUrl!, `consent-${consent.id}-v${consent.version}.p7m.pem`).catch((e: Error) => setError(e.message))}>
            {t.receipt}
          </button>
        )}
        {active && (consent.categories ?? []).length > 1 && (
          <button type="button" aria-expanded={narrowing} onClick={() => setNarrowing(!narrowing)}>
            {t.narrow}
          </button>
        )}
        {active && (
          <button type="button" class="danger" onClick={() => gql(REVOKE, { id: consent.id }).then(onChange, (e: Error) => setError(e.message))}>
            {t.revoke}
          </button>
        )}
      </p>
      {narrowing && (
        <>
          <CheckboxGroup legend={t.categories} name={`narrow-${consent.id}`} options={consent.categories ?? []} label={(c) => t.categoryNames[c] ?? c} chosen={kept} onChange={setKept} />
          <button type="button" class="primary" disabled={kept.length === 0 || kept.length === (consent.categories ?? []).length} onClick={() => narrow().then(onChange, (e: Error) => setError(e.message))}>
            {t.narrowSave}
          </button>
        </>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </li>
  );
}

function ConsentForm({ subject, institutions, onGranted }: { subject: Subject; institutions: Array<{ id: string; name: string }>; onGranted(): void }) {
  const t = words();
  const [provision, setProvision] = useState<'PERMIT' | 'DENY'>('PERMIT');
  const [kind, setKind] = useState('INSTITUTION');
  const [recipientId, setRecipientId] = useState('');
  const [categories, setCategories] = useState<string[]>([]);
  const [purposes, setPurposes] = useState<string[]>(['TREAT']);
  const [autoApprove, setAutoApprove] = useState(false);
  const [read, setRead] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const needsId = kind !== 'ANYONE';
  const ready = read && categories.length > 0 && purposes.length > 0 && (!needsId || recipientId !== '');
  const submit = (event: Event) => {
    event.preventDefault();
    setError(undefined);
    grantConsent(subject, { provision, recipient: needsId ? { kind, id: recipientId } : { kind }, categories, purposes, autoApprove }).then(
      () => {
        setCategories([]);
        setRead(false);
        onGranted();
      },
      (e: Error) => setError(e.message),
    );
  };
  return (
    <form onSubmit={submit} class="form">
      <fieldset>
        <legend>{t.provision}</legend>
        {(['PERMIT', 'DENY'] as const).map((value) => (
          <label key={value} class="check">
            <input type="radio" name="provision" value={value} checked={provision === value} onChange={() => setProvision(value)} />
            {value === 'PERMIT' ? t.permit : t.denyProvision}
          </label>
        ))}
      </fieldset>
      <label>
        {t.recipient}
        <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          {['INSTITUTION', 'PRACTITIONER', 'ANYONE'].map((k) => (
            <option key={k} value={k}>
              {t.recipientKinds[k]}
            </option>
          ))}
        </select>
      </label>
      {kind === 'INSTITUTION' && (
        <label>
          {t.institution}
          <select value={recipientId} onChange={(e) => setRecipientId((e.target as HTMLSelectElement).value)}>
            <option value="">—</option>
            {institutions.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {kind === 'PRACTITIONER' && (
        <label>
          {t.recipientKinds['PRACTITIONER']} ID
          <input value={recipientId} onInput={(e) => setRecipientId((e.target as HTMLInputElement).value.trim())} />
        </label>
      )}
      <CheckboxGroup legend={t.categories} name="category" options={CONSENT_CATEGORIES} label={(c) => t.categoryNames[c] ?? c} chosen={categories} onChange={setCategories} />
      <CheckboxGroup legend={t.purposes} name="purpose" options={CONSENT_PURPOSES} label={purposeName} chosen={purposes} onChange={setPurposes} />
      {provision === 'PERMIT' && (
        <label class="check">
          <input type="checkbox" checked={autoApprove} onChange={() => setAutoApprove(!autoApprove)} />
          {t.autoApprove}
        </label>
      )}
      <section class="notice" aria-labelledby="notice-title">
        <h3 id="notice-title">
          {t.notice} · {t.noticeVersion} <span class="mono">{NOTICE_VERSION}</span>
        </h3>
        <p>{t.noticeText}</p>
        <label class="check">
          <input type="checkbox" name="notice-read" checked={read} onChange={() => setRead(!read)} />
          {t.noticeRead}
        </label>
      </section>
      <button type="submit" class="primary" disabled={!ready}>
        {t.grant}
      </button>
      {error && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
