// Starts kinesalite in memory on 127.0.0.1 only (see serve.js).
// Usage: node kinesalite.js <port>. Prints "listening <port>" once ready.
// Before kinesalite loads its actions: Kinesis answers an AT_TIMESTAMP iterator at the shard's end when no record
// arrived at or after the timestamp (LATEST is read that way by both of the connector's readers); kinesalite 3.3.3
// never answers then. Look for such a record first, and answer LATEST when there is none.
const shardIteratorAction = require.resolve('kinesalite/actions/getShardIterator');
const getShardIterator = require(shardIteratorAction);
require.cache[shardIteratorAction].exports = function atTimestampOrEnd(store, data, cb) {
  // The legacy consumer's SDK v1, made to speak JSON here (kinesalite's CBOR is not the SDK's), still writes the
  // timestamp in CBOR's unit, milliseconds; JSON's is seconds. On AWS it speaks CBOR. No real timestamp in seconds
  // reaches 10^11 (the year 5138).
  if (data.Timestamp != null && data.Timestamp > 1e11) data.Timestamp /= 1000;
  if (data.ShardIteratorType !== 'AT_TIMESTAMP' || data.Timestamp == null || data.Timestamp * 1000 > Date.now()) {
    return getShardIterator(store, data, cb);
  }
  const db = require('kinesalite/db');
  let shardIx;
  try {
    shardIx = db.resolveShardId(data.ShardId).shardIx;
  } catch (e) {
    return getShardIterator(store, data, cb);
  }
  store.getStream(data.StreamName, (err) => {
    if (err) return getShardIterator(store, data, cb);
    let found = false;
    const records = store.getStreamDb(data.StreamName)
      .createReadStream({ gt: db.shardIxToHex(shardIx), lt: db.shardIxToHex(shardIx + 1) });
    records.on('data', (item) => {
      if (!found && item.value.ApproximateArrivalTimestamp >= data.Timestamp) {
        found = true;
        records.destroy();
        getShardIterator(store, data, cb);
      }
    });
    records.on('end', () => {
      if (!found) getShardIterator(store, Object.assign({}, data, { ShardIteratorType: 'LATEST', Timestamp: undefined }), cb);
    });
    records.on('error', () => { if (!found) getShardIterator(store, data, cb); });
  });
};
const kinesalite = require('kinesalite');
// Kinesis takes records of up to 10 MiB on streams configured for it (since 2025); kinesalite stops at 1 MiB.
// Its request cap (7 MiB, base64 included) allows records of 5 MiB: enough to test a producer's huge record.
for (const api of ['putRecord', 'putRecords']) {
  const types = require('kinesalite/validations/' + api).types;
  const data = api === 'putRecord' ? types.Data : types.Records.children.children.Data;
  data.lengthLessThanOrEqual = 5 * 1024 * 1024;
}
// Kinesis names a stream by StreamARN as well as by StreamName (since 2023), and the connector's KinesisStreamsSource
// (4.3.0) sends only the ARN; kinesalite 3.3.3 knows names only. Take the name from the ARN's resource
// ("arn:aws:kinesis:<region>:<account>:stream/<name>"), and ask for one of the two as Kinesis does.
for (const api of ['listShards', 'getShardIterator']) {
  const validation = require('kinesalite/validations/' + api);
  validation.types.StreamARN = { type: 'String', regex: 'arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+' };
  delete validation.types.StreamName.notNull;
  validation.custom = (data) => {
    if (data.StreamName == null && data.StreamARN != null) data.StreamName = data.StreamARN.split(':stream/')[1];
    if (api === 'getShardIterator' && data.StreamName == null) return 'Either StreamName or StreamARN should be provided.';
    return undefined;
  };
}
const serve = require('./serve');
serve(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 }), parseInt(process.argv[2] || '4567', 10));
