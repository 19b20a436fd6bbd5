// The internal listener (INTERNAL_PORT): /metrics, /healthz, /readyz for operators and orchestrators,
// never exposed on the public port. Runs in the main process. Scrapes are bounded in time and in
// number at once, so a stuck scraper cannot pile up work.

import type { HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { PortUnavailableError, ScrapeTimeoutError, defaultErrorBodies } from '../errors.js';
import { listenExclusive, uWS } from './uws.js';
import { AsyncReply, STATUS_200, errorStatus, sendError, sendJson } from './respond.js';

export interface InternalAppOptions {
  host: string;
  port: number;
  /** Prometheus text exposition of every metric. */
  metrics: () => Promise<string>;
  contentType: string;
  /** Null when ready; otherwise why not, for the 503 body. */
  notReadyReason: () => string | null;
  /** Facts added to the /readyz body when ready. */
  readyFacts: () => Record<string, unknown>;
  /** Readiness of a part, served at /readyz/<name>: null when that part can answer, else why not. */
  partial?: Readonly<Record<string, () => string | null>>;
}

const SCRAPE_TIMEOUT_MS = 5_000;
const MAX_CONCURRENT_SCRAPES = 4;
const HEALTHY = Buffer.from('{"status":"ok"}');

export class InternalServer {
  private constructor(
    private socket: us_listen_socket | null,
    readonly port: number,
  ) {}

  static start(o: InternalAppOptions): Promise<InternalServer> {
    const app = uWS.App();
    routes(app, o);
    return new Promise((resolve, reject) => {
      // Exclusive: a second process on this port would otherwise answer every other probe and scrape.
      listenExclusive(app, o.host, o.port, (token) => {
        if (token === false) return reject(new PortUnavailableError(`the internal port ${o.port} on ${o.host} cannot be bound: another process has it (a second engine or syncer?), or the address is not this machine's`));
        resolve(new InternalServer(token, uWS.us_socket_local_port(token)));
      });
    });
  }

  close(): void {
    if (this.socket !== null) uWS.us_listen_socket_close(this.socket);
    this.socket = null;
  }
}

function routes(app: TemplatedApp, o: InternalAppOptions): void {
  let scrapes = 0;
  app.get('/metrics', (res) => {
    const reply = new AsyncReply(res);
    if (scrapes >= MAX_CONCURRENT_SCRAPES) return reply.error('not_ready');
    scrapes++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ScrapeTimeoutError('scrape timed out')), SCRAPE_TIMEOUT_MS);
    });
    Promise.race([o.metrics(), timeout]).then(
      (text) => reply.send(STATUS_200, o.contentType, text),
      () => reply.error('not_ready'),
    ).finally(() => {
      clearTimeout(timer);
      scrapes--;
    });
  });
  app.get('/healthz', (res) => sendJson(res, STATUS_200, HEALTHY, false));
  const readyz = (notReadyReason: () => string | null) => (res: HttpResponse) => {
    const reason = notReadyReason();
    if (reason === null) sendJson(res, STATUS_200, JSON.stringify({ status: 'ready', ...o.readyFacts() }), false);
    else sendJson(res, errorStatus.not_ready, JSON.stringify({ error: 'not_ready', message: reason }), false);
  };
  app.get('/readyz', readyz(o.notReadyReason));
  for (const [name, reason] of Object.entries(o.partial ?? {})) app.get(`/readyz/${name}`, readyz(reason));
  app.any('/*', (res) => sendError(res, 'not_found', false, defaultErrorBodies.not_found));
}
