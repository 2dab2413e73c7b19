/** Client-side routes (the gateway answers these paths with index.html: keep in step with portal/static.ts). */
import { signal } from './signal';

export const PAGES = ['/archive', '/requests', '/consents', '/log'] as const;
export type Page = (typeof PAGES)[number];

export const route = signal(location.pathname);

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route.value = path;
}

addEventListener('popstate', () => {
  route.value = location.pathname;
});
