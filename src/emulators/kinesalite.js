// Starts kinesalite in memory on 127.0.0.1 only (its CLI binds every interface).
// Usage: node kinesalite.js <port>. Prints "listening <port>" once ready.
const kinesalite = require('kinesalite');
// Kinesis takes records of up to 10 MiB on streams configured for it (since 2025); kinesalite stops at 1 MiB.
// Its request cap (7 MiB, base64 included) allows records of 5 MiB: enough to test a producer's huge record.
for (const api of ['putRecord', 'putRecords']) {
  const types = require('kinesalite/validations/' + api).types;
  const data = api === 'putRecord' ? types.Data : types.Records.children.children.Data;
  data.lengthLessThanOrEqual = 5 * 1024 * 1024;
}
const port = parseInt(process.argv[2] || '4567', 10);
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
server.listen(port, '127.0.0.1', (err) => {
  if (err) { console.error(err); process.exit(1); }
  console.log('listening ' + port);
});
// Exit with the process that started this one (the tests, the local stack), even if it was killed.
const parent = process.ppid;
setInterval(() => {
  try { process.kill(parent, 0); } catch (e) { process.exit(0); }
}, 1000).unref();
