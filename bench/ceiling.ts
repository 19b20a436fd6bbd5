// The upper bound: a bare uWS app answering every GET with a static, pre-encoded JSON body of the
// same size and headers as an ad response. No parsing, no auth, no metrics. Same process model as
// an ENGINE_WORKERS=1 engine. Prints "READY <port>" when listening; exits on SIGTERM.

import uWS from 'uWebSockets.js';

const BODY = Buffer.from('{"id":"ad-000001","video_url":"https://cdn.example.com/v/ad-000001.mp4"}');
const CONTENT_TYPE = Buffer.from('content-type');
const JSON_TYPE = Buffer.from('application/json');

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
uWS
  .App()
  .get('/*', (res) => {
    res.writeHeader(CONTENT_TYPE, JSON_TYPE).end(BODY);
  })
  .listen('127.0.0.1', port, (token) => {
    if (token === false) {
      process.stderr.write(`ceiling: cannot listen on ${port}\n`);
      process.exit(1);
    }
    process.stdout.write(`READY ${uWS.us_socket_local_port(token)}\n`);
    process.on('SIGTERM', () => {
      uWS.us_listen_socket_close(token);
      process.exit(0);
    });
  });
