// A market is one (country, lang) pair. Instead of building a "us:eng" string per request, the two
// codes are read letter by letter, case-insensitively, into one small integer: a Map<number, …> lookup
// with no allocation. Country is ISO 3166-1 alpha-2, lang ISO 639-2 alpha-3.

const LANG_SPACE = 26 * 26 * 26;

/** 0..675 for two ASCII letters (either case), otherwise -1. */
export function countryCode(s: string): number {
  if (s.length !== 2) return -1;
  const a = letter(s.charCodeAt(0));
  const b = letter(s.charCodeAt(1));
  return (a | b) < 0 ? -1 : a * 26 + b;
}

/** 0..17575 for three ASCII letters (either case), otherwise -1. */
export function langCode(s: string): number {
  if (s.length !== 3) return -1;
  const a = letter(s.charCodeAt(0));
  const b = letter(s.charCodeAt(1));
  const c = letter(s.charCodeAt(2));
  return (a | b | c) < 0 ? -1 : (a * 26 + b) * 26 + c;
}

export function marketKey(country: number, lang: number): number {
  return country * LANG_SPACE + lang;
}

/** Market key of already-validated lower-case strings (compile time). */
export function marketKeyOf(country: string, lang: string): number {
  return marketKey(countryCode(country), langCode(lang));
}

function letter(c: number): number {
  c |= 0x20; // fold ASCII upper case onto lower case; non-letters stay outside a..z
  return c >= 97 && c <= 122 ? c - 97 : -1;
}

/** The lower-case letters of a country code (countryCode's inverse). */
export function countryOf(code: number): string {
  return String.fromCharCode(97 + Math.floor(code / 26), 97 + (code % 26));
}

/** The lower-case letters of a lang code (langCode's inverse). */
export function langOf(code: number): string {
  return String.fromCharCode(97 + Math.floor(code / 676), 97 + (Math.floor(code / 26) % 26), 97 + (code % 26));
}

/** The country letters of a market key (marketKey's inverse, first half). */
export const marketCountry = (market: number): string => countryOf(Math.floor(market / LANG_SPACE));

/** The lang letters of a market key (marketKey's inverse, second half). */
export const marketLang = (market: number): string => langOf(market % LANG_SPACE);
