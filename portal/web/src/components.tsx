/** Pieces every page uses. */
import type { ComponentChildren } from 'preact';
import { words } from './i18n';
import type { Loaded } from './load';

export function Level5({ level }: { level: number | null | undefined }) {
  if (level === null || level === undefined || level < 5) return null;
  return <span class="badge sensitive">{words().level5}</span>;
}

export function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card" id={id} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

export function Loading<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const t = words();
  if (loaded.error) {
    return (
      <p role="alert" class="error">
        {t.error}: {loaded.error.message}{' '}
        <button type="button" onClick={loaded.reload}>
          {t.retry}
        </button>
      </p>
    );
  }
  if (loaded.data === undefined) return <p role="status">{t.loading}</p>;
  return <>{children(loaded.data)}</>;
}
