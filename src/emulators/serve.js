// What kinesalite.js and dynalite.js share: serve on 127.0.0.1 only (their CLIs bind every interface), answer no web
// page, print "listening <port>" once ready, survive a client that hangs up mid-request, and exit with the process that
// started them (the tests, the local stack), even if it was killed.

// Both answer CORS for any origin and check no signature, and dynalite holds the session table (every session's AES
// key): a page open in the developer's browser could read it. Their callers are this machine's own programs, which
// name 127.0.0.1 or localhost with the port and send neither Origin nor Sec-Fetch-Site; a browser always sends one of
// them on a request a page could read or that changes anything (Origin on every POST and CORS request), and a page's
// own name resolved to 127.0.0.1 (DNS rebinding) shows in Host. Such a request is answered 403 before the emulator
// sees it, and no answer carries CORS headers.
function refusal(req, port) {
  if (!new RegExp('^(127\\.0\\.0\\.1|localhost|\\[::1\\]):' + port + '$').test(req.headers.host || '')) {
    return 'this local emulator answers only Host 127.0.0.1:' + port + ' or localhost:' + port;
  }
  if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined || req.method === 'OPTIONS') {
    return 'this local emulator answers no web page';
  }
  return null;
}

function withoutCors(res) {
  const setHeader = res.setHeader;
  res.setHeader = function setHeaderButCors(name, value) {
    return /^access-control-/i.test(name) ? this : setHeader.call(this, name, value);
  };
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadButCors(status, ...rest) {
    const headers = rest.find((h) => h && typeof h === 'object');
    if (headers) for (const name of Object.keys(headers)) if (/^access-control-/i.test(name)) delete headers[name];
    return writeHead.call(this, status, ...rest);
  };
}

function guard(server, port) {
  const handlers = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const refused = refusal(req, port);
    if (refused) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end(refused);
      req.resume();
      return;
    }
    withoutCors(res);
    for (const handler of handlers) handler.call(server, req, res);
  });
}

module.exports = function serve(server, port) {
  guard(server, port);
  // kinesalite 3.3.3 and dynalite 4.0.0 rethrow any error of an incoming request (`req.on('error', (err) => { throw
  // err })`), and Node 20 emits one, ECONNRESET "aborted", when a client closes its connection before the request
  // has arrived whole: a job cancelled while its reader's request is on the wire then kills the emulator, and every
  // later test fails on a refused connection. A server drops such a request (nobody is left to answer); so do these
  // now: an aborted request's error no longer reaches their listener. Any other error still does.
  server.prependListener('request', (req) => {
    const on = req.on;
    req.on = function onUnlessAborted(event, listener) {
      if (event !== 'error') return on.call(this, event, listener);
      return on.call(this, event, (err) => {
        if (err && err.code === 'ECONNRESET' && req.destroyed) {
          console.log('dropped a request whose client hung up before it arrived whole');
          return;
        }
        listener.call(this, err);
      });
    };
  });
  server.listen(port, '127.0.0.1', (err) => {
    if (err) { console.error(err); process.exit(1); }
    console.log('listening ' + port);
  });
  // Ctrl-C reaches the whole process group, this emulator as well as the stack that started it: the stack stops it
  // (SIGTERM) once its job is cancelled, so that nothing still calling it sees it vanish, and no stop reads as a crash.
  process.on('SIGINT', () => console.log('interrupted: the process that started me stops me'));
  process.on('SIGTERM', () => {
    console.log('stopping');
    process.exit(0);
  });
  const parent = process.ppid;
  setInterval(() => {
    try { process.kill(parent, 0); } catch (e) { process.exit(0); }
  }, 1000).unref();
};
