// Starts dynalite in memory on 127.0.0.1. Usage: node dynalite.js <port>. Prints "listening <port>" once ready.
const dynalite = require('dynalite');
const port = parseInt(process.argv[2] || '4568', 10);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(port, '127.0.0.1', (err) => {
  if (err) { console.error(err); process.exit(1); }
  console.log('listening ' + port);
});
// Exit with the process that started this one (the tests, the local stack), even if it was killed.
const parent = process.ppid;
setInterval(() => {
  try { process.kill(parent, 0); } catch (e) { process.exit(0); }
}, 1000).unref();
