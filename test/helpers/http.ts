// A real HTTP client for tests (undici over loopback), closed at teardown so no keep-alive socket
// outlives its test. Returns status, headers and the parsed body in one object for whole-response
// assertions.

import { Agent, request } from 'undici';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

export interface TestClient {
  get(url: string, headers?: Record<string, string>): Promise<Reply>;
  send(method: string, url: string, body?: string, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export function httpClient(t: { teardown(fn: () => unknown): void }, connections = 8): TestClient {
  const agent = new Agent({ connections, keepAliveTimeout: 1_000 });
  t.teardown(() => agent.close());
  const send = async (method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await request(url, { method: method as 'GET', headers, body, dispatcher: agent });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, body: parsed };
  };
  return {
    get: (url, headers) => send('GET', url, undefined, headers),
    send,
    close: () => agent.close(),
  };
}
