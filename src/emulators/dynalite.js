// Starts dynalite in memory on 127.0.0.1. Usage: node dynalite.js <port>. Prints "listening <port>" once ready.
const dynalite = require('dynalite');
const serve = require('./serve');
serve(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }), parseInt(process.argv[2] || '4568', 10));
