// After `vite build`: writes .br and .gz beside every compressible file in dist/, so the gateway
// serves them precompressed (tower-http ServeDir) without compressing on each request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = new URL('../dist/', import.meta.url).pathname;
const compressible = /\.(js|css|html|svg|json|txt|map)$/;
let raw = 0;
let gz = 0;
let br = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (compressible.test(name)) {
      const bytes = readFileSync(path);
      const gzipped = gzipSync(bytes, { level: 9 });
      const brotli = brotliCompressSync(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
      });
      writeFileSync(`${path}.gz`, gzipped);
      writeFileSync(`${path}.br`, brotli);
      raw += bytes.length;
      gz += gzipped.length;
      br += brotli.length;
    }
  }
}
walk(root);
console.log(`dist: ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzip, ${(br / 1024).toFixed(1)} KiB brotli`);
