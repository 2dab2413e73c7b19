/** The portal's shell: sign-in, the subject switch (self or a ward), navigation and the pages. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, session } from './api';
import { completeOidcSignIn, loadConfig, signInAsDemo, signOut, startOidcSignIn, type PortalConfig } from './auth';
import { lang, words } from './i18n';
import { useLoad } from './load';
import { ArchivePage } from './pages/archive';
import { ConsentsPage } from './pages/consents';
import { LogPage } from './pages/log';
import { RequestsPage } from './pages/requests';
import { navigate, PAGES, route, type Page } from './routes';
import { useSignal } from './signal';

export interface Subject {
  id: string;
  name: string | null;
  self: boolean;
}

export function App() {
  useSignal(lang);
  const current = useSignal(session);
  const path = useSignal(route);
  const config = useLoad(loadConfig, []);
  useEffect(() => {
    document.documentElement.lang = lang.value === 'en' ? 'en' : 'zh-CN';
    document.title = words().appName;
  });
  useEffect(() => {
    if (!current && path !== '/signin' && path !== '/callback') navigate('/signin', true);
    if (current && (path === '/' || path === '/signin' || path === '/callback')) navigate('/archive', true);
  }, [current, path]);
  if (!config.data) return <Frame>{config.error ? <p role="alert">{words().error}</p> : <p>{words().loading}</p>}</Frame>;
  if (!current) return <Frame><SignIn config={config.data} /></Frame>;
  return <SignedIn />;
}

function LangSwitch() {
  const t = words();
  return (
    <button type="button" class="link" lang={lang.value === 'en' ? 'zh-CN' : 'en'} aria-label={t.langSwitchLabel} onClick={() => (lang.value = lang.value === 'en' ? 'zh' : 'en')}>
      {t.langSwitch}
    </button>
  );
}

function Frame({ children }: { children: preact.ComponentChildren }) {
  const t = words();
  return (
    <>
      <header class="bar">
        <span class="brand">{t.appName}</span>
        <LangSwitch />
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}

function SignIn({ config }: { config: PortalConfig }) {
  const t = words();
  const [state, setState] = useState<'idle' | 'busy' | 'failed'>('idle');
  const path = useSignal(route);
  const oidc = config.signIn === 'oidc' ? config : undefined;
  useEffect(() => {
    if (oidc && path === '/callback') {
      setState('busy');
      completeOidcSignIn(oidc, location.search).catch(() => setState('failed'));
    }
  }, [path]);
  const run = (action: () => Promise<void>) => {
    setState('busy');
    action().catch(() => setState('failed'));
  };
  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">{t.signInTitle}</h1>
      {state === 'busy' && <p role="status">{t.signingIn}</p>}
      {state === 'failed' && <p role="alert" class="error">{t.signInFailed}</p>}
      {config.signIn === 'demo' ? (
        <>
          <p>{t.signInDemo}</p>
          <ul class="choices">
            {config.residents.map((resident) => (
              <li key={resident.actor}>
                <button type="button" class="choice" onClick={() => run(() => signInAsDemo(resident.actor))} data-actor={resident.actor}>
                  <strong>{resident.displayName}</strong>
                  <span class="muted">{resident.actor}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <>
          <p class="muted">{t.signInOidcHint}</p>
          <button type="button" class="primary" onClick={() => run(() => startOidcSignIn(config))}>
            {t.signInOidc}
          </button>
        </>
      )}
    </section>
  );
}

const NAV: Record<Page, 'navArchive' | 'navRequests' | 'navConsents' | 'navLog'> = {
  '/archive': 'navArchive',
  '/requests': 'navRequests',
  '/consents': 'navConsents',
  '/log': 'navLog',
};

function SignedIn() {
  const t = words();
  const path = useSignal(route);
  const people = useLoad(async () => {
    const { me } = await gql<{ me: { sub: string; residentId: string | null; wards: string[] | null } }>('query PortalMe { me { sub residentId wards } }');
    const wards = await Promise.all(
      (me.wards ?? []).map(async (id) => ({ id, name: (await gql<{ resident: { name: string | null } | null }>('query PortalWard($id: ID!) { resident(id: $id) { name } }', { id })).resident?.name ?? null, self: false })),
    );
    return [{ id: me.residentId ?? '', name: null, self: true } as Subject, ...wards];
  }, []);
  const [subjectId, setSubjectId] = useState<string | undefined>(undefined);
  const subjects = people.data ?? [];
  const subject = subjects.find((s) => s.id === subjectId) ?? subjects[0];
  const main = useRef<HTMLElement>(null);
  const page = (PAGES as readonly string[]).includes(path) ? (path as Page) : '/archive';
  // After a client-side navigation, focus moves to the page (as a full page load would).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [page, subject?.id]);
  return (
    <>
      <a class="skip" href="#main">{t.skip}</a>
      <header class="bar">
        <span class="brand">{t.appName}</span>
        {subjects.length > 1 && (
          <label class="subject">
            <span>{t.actingFor}</span>
            <select value={subject?.id} onChange={(event) => setSubjectId((event.target as HTMLSelectElement).value)}>
              {subjects.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.self ? t.self : `${t.ward}：${s.name ?? s.id}`}
                </option>
              ))}
            </select>
          </label>
        )}
        <LangSwitch />
        <button type="button" class="link" onClick={() => signOut()}>
          {t.signOut}
        </button>
      </header>
      <nav aria-label={t.nav}>
        <ul>
          {PAGES.map((p) => (
            <li key={p}>
              <a
                href={p}
                aria-current={p === page ? 'page' : undefined}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(p);
                }}
              >
                {t[NAV[p]]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {!subject ? (
          <p>{people.error ? t.error : t.loading}</p>
        ) : page === '/archive' ? (
          <ArchivePage subject={subject} />
        ) : page === '/requests' ? (
          <RequestsPage subject={subject} />
        ) : page === '/consents' ? (
          <ConsentsPage subject={subject} />
        ) : (
          <LogPage subject={subject} />
        )}
      </main>
    </>
  );
}
