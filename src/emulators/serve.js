// What kinesalite.js and dynalite.js share: serve on 127.0.0.1 only (their CLIs bind every interface), print
// "listening <port>" once ready, survive a client that hangs up mid-request, and exit with the process that started
// them (the tests, the local stack), even if it was killed.
module.exports = function serve(server, port) {
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
  const parent = process.ppid;
  setInterval(() => {
    try { process.kill(parent, 0); } catch (e) { process.exit(0); }
  }, 1000).unref();
};
