// The input floor: a bare uWS app that reads exactly the inputs the routes read and answers a
// pre-built body of a typical answer's size. The raw query through getQuery() (as rawQuery() does),
// and, only when the query carries no api_key, x-api-key then authorization through getHeader()
// with Buffer names (as admit.ts does). Nothing is parsed, checked or looked up, and a sum of the
// lengths read is kept so the reads cannot be optimised away. The least any correct uWS server
// answering these routes can do: the engine's CPU per request over this one is what its own logic
// costs. Same process model as the ceiling. Prints "READY <port>" when listening; exits on SIGTERM.

import uWS, { type HttpRequest, type HttpResponse } from 'uWebSockets.js';

/** A hit of the ad_request mix (the ceiling's body) and of the blacklist/check mix. */
const AD_BODY = Buffer.from('{"id":"ad-000001","video_url":"https://cdn.example.com/v/ad-000001.mp4"}');
const CHECK_BODY = Buffer.from('{"most_common_reason":"cheating","number_of_games_reported":1,"times_reported_last_90_days":1}');
const CONTENT_TYPE = Buffer.from('content-type');
const JSON_TYPE = Buffer.from('application/json');
const X_API_KEY = Buffer.from('x-api-key');
const AUTHORIZATION = Buffer.from('authorization');

/** Lengths of everything read; printed at exit, so the reads have an observable use. */
let readBytes = 0;

function readInputs(req: HttpRequest): void {
  const query = req.getQuery() ?? '';
  let key = '';
  if (query.indexOf('api_key=') === -1) {
    key = req.getHeader(X_API_KEY);
    if (key === '') key = req.getHeader(AUTHORIZATION);
  }
  readBytes += query.length + key.length;
}

function adRequest(res: HttpResponse, req: HttpRequest): void {
  readInputs(req);
  res.writeHeader(CONTENT_TYPE, JSON_TYPE).end(AD_BODY);
}

function blacklistCheck(res: HttpResponse, req: HttpRequest): void {
  readInputs(req);
  res.writeHeader(CONTENT_TYPE, JSON_TYPE).end(CHECK_BODY);
}

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
uWS
  .App()
  .get('/ad_request', adRequest)
  .get('/blacklist/check', blacklistCheck)
  .listen('127.0.0.1', port, (token) => {
    if (token === false) {
      process.stderr.write(`floor: cannot listen on ${port}\n`);
      process.exit(1);
    }
    process.stdout.write(`READY ${uWS.us_socket_local_port(token)}\n`);
    process.on('SIGTERM', () => {
      uWS.us_listen_socket_close(token);
      process.stdout.write(`floor: read ${readBytes} bytes of input\n`);
      process.exit(0);
    });
  });
