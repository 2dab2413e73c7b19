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

/** A group of checkboxes choosing a subset of `options`. */
export function CheckboxGroup({ legend, name, options, label, chosen, onChange }: { legend: string; name: string; options: readonly string[]; label(option: string): string; chosen: readonly string[]; onChange(next: string[]): void }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option} class="check">
          <input type="checkbox" name={name} value={option} checked={chosen.includes(option)} onChange={() => onChange(chosen.includes(option) ? chosen.filter((c) => c !== option) : [...chosen, option])} />
          {label(option)}
        </label>
      ))}
    </fieldset>
  );
}

/** A list of records, or "nothing recorded". */
export function Records<T extends { id: string }>({ items, children }: { items: readonly T[] | null | undefined; children: (item: T) => ComponentChildren }) {
  if (!items || items.length === 0) return <p>{words().none}</p>;
  return (
    <ul class="list">
      {items.map((item) => (
        <li key={item.id} class="item">
          {children(item)}
        </li>
      ))}
    </ul>
  );
}
