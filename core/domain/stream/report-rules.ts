// Input rules of the game-ban contract (README "Games and blacklist"), pure: what a valid email,
// reason and game name are, and how they are normalised before anything is stored or looked up.

/** Reports at most this old count in times_reported_last_90_days (strictly newer than 90 days). */
export const REPORT_WINDOW_MS = 90 * 86_400_000;

/** The longest email taken, as sent (surrounding whitespace counts): the longest path SMTP allows. */
export const EMAIL_MAX_LENGTH = 254;
/**
 * Printable ASCII but space and @ (\x21-\x3f, \x41-\x7e) on both sides of the one @: a local part
 * of 1 to 64 characters (SMTP's limit), a domain with a dot inside. Only what a query string can carry
 * (README "Games and blacklist"), so every email a report stores can be checked.
 */
const EMAIL = /^[\x21-\x3f\x41-\x7e]{1,64}@[\x21-\x3f\x41-\x7e]+\.[\x21-\x3f\x41-\x7e]+$/;
/** Either case; lower-cased once it matched (not before: see normaliseEmail). */
const REASON = /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$/;

/**
 * The one email rule of reports, checks and the blacklist feed: at most EMAIL_MAX_LENGTH characters
 * as sent, trimmed, EMAIL, lower-cased; null otherwise. Tested before lower-casing: toLowerCase maps
 * a few non-ASCII letters onto ASCII (the Kelvin sign onto k), which would let a report store an
 * email no check can name.
 */
export function normaliseEmail(raw: string): string | null {
  if (raw.length > EMAIL_MAX_LENGTH) return null;
  const email = raw.trim();
  return EMAIL.test(email) ? email.toLowerCase() : null;
}

/** A lower_snake token such as `cheating` or `terms_of_service_violation`, case-insensitive. */
export function normaliseReason(raw: string): string | null {
  const reason = raw.trim();
  return reason.length <= 64 && REASON.test(reason) ? reason.toLowerCase() : null;
}

/** Trimmed; null when empty or over 200 characters. */
export function normaliseGameName(raw: string): string | null {
  const name = raw.trim();
  return name.length > 0 && name.length <= 200 ? name : null;
}
