/** Civil dates as day numbers (days since 1970-01-01) and moments in China Standard Time (UTC+8). */

const DAY_MS = 86_400_000;

/** The day number of a YYYY-MM-DD date. */
export function dayNumber(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

/** The YYYY-MM-DD date of a day number. */
export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The moment `minutes` after local (UTC+8) midnight of `day`. */
export function localMoment(day: number, minutes: number): Date {
  return new Date(day * DAY_MS + (minutes - 8 * 60) * 60_000);
}

/** The local (UTC+8) day number of a moment. */
export function localDay(moment: Date): number {
  return Math.floor((moment.getTime() + 8 * 3_600_000) / DAY_MS);
}

/** Whole years between a YYYY-MM-DD birth date and a day number. */
export function ageAt(birthDate: string, day: number): number {
  const on = isoDay(day);
  const years = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return on.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** Day number of 1 January of `year`. */
export function yearStart(year: number): number {
  return Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
}
