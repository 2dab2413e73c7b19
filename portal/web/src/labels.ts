/** Small shared pieces of wording for the pages. */
import { fill, lang, words } from './i18n';

export function categoryList(categories: readonly string[] | null | undefined): string {
  const t = words();
  return (categories ?? []).map((c) => t.categoryNames[c] ?? c).join(lang.value === 'en' ? ', ' : '、');
}

export function purposeName(purpose: string | null | undefined): string {
  return purpose ? (words().purposeNames[purpose] ?? purpose) : '—';
}

export function errorText(error: Error | undefined): string {
  const t = words();
  return error ? `${t.error}: ${error.message}` : t.error;
}

export { fill };
