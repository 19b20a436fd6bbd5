// An event of the stream as every reader sees it (the envelope) and the order of event ids. The
// domain's own: the event log port stores these, the folds and the engine's position compare them.

export interface NewEvent {
  type: string;
  /** JSON-serialisable payload. */
  data: unknown;
}

export interface LoggedEvent {
  id: string;
  type: string;
  data: unknown;
}

/**
 * An event on its way to the log: the payload already JSON text. Serialised once, where the write
 * is accepted; the batch then crosses IPC and reaches Redis or the file as it is.
 */
export interface EncodedEvent {
  type: string;
  data: string;
}

export const encodeEvent = (e: NewEvent): EncodedEvent => ({ type: e.type, data: JSON.stringify(e.data) });

export const START = '0-0';

/** Orders "<ms>-<seq>" ids numerically (string order is wrong once ms or seq gain a digit). */
export function compareEventIds(a: string, b: string): number {
  const [am, as] = splitEventId(a);
  const [bm, bs] = splitEventId(b);
  return am !== bm ? am - bm : as - bs;
}

/** "<ms>-<seq>" as two numbers ("<ms>" alone: seq 0). */
export function splitEventId(id: string): [ms: number, seq: number] {
  const dash = id.indexOf('-');
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

/** The smallest id greater than `id`: trimming before it drops `id` and everything older. */
export function nextEventId(id: string): string {
  const [ms, seq] = splitEventId(id);
  return `${ms}-${seq + 1}`;
}
