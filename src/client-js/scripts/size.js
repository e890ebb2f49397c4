// Bundles the client with aws4fetch as a browser would load it (minified ES module) and prints its
// gzipped size; fails above the 10 KB budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const LIMIT = 10 * 1024;
const { outputFiles } = await build({
  entryPoints: [new URL('../src/index.js', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
});
const code = outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
console.log(`${code.length} bytes minified, ${gzipped} bytes gzipped (limit ${LIMIT})`);
if (gzipped > LIMIT) process.exitCode = 1;
