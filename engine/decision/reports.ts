// Input rules of the game-ban contract (DESIGN.md "Games and blacklist"), pure: what a valid email,
// reason and game name are, and how they are normalised before anything is stored or looked up.

/** Reports at most this old count in times_reported_last_90_days (strictly newer than 90 days). */
export const REPORT_WINDOW_MS = 90 * 86_400_000;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const REASON = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Trimmed and lower-cased, or null when it is not an email (one @, a dot in the domain, no spaces). */
export function normaliseEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : null;
}

/** A lower_snake token such as `cheating` or `terms_of_service_violation`, case-insensitive. */
export function normaliseReason(raw: string): string | null {
  const reason = raw.trim().toLowerCase();
  return reason.length <= 64 && REASON.test(reason) ? reason : null;
}

/** Trimmed; null when empty or over 200 characters. */
export function normaliseGameName(raw: string): string | null {
  const name = raw.trim();
  return name.length > 0 && name.length <= 200 ? name : null;
}
