// Waiting for something another process or an asynchronous job will make true: poll, and fail
// with the last value seen when it does not happen in time (a bound on hanging, not a timing
// assertion).

/** Polls read() until check() is true and returns that value; fails with the last value after timeoutMs. */
export async function eventually<V>(read: () => V | Promise<V>, check: (v: V) => boolean, timeoutMs: number, what: string, everyMs = 50): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  let last: V | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}
