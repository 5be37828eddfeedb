// Measures the time to first render of the inventory list with 10,000 items in headless
// Chromium: a fresh gateway and database, the demo theatre topped up with the benchmark seeder
// (target/debug/examples/seed), the admin signed in, then /inventory loaded cold N times;
// reported: from navigation start to the first row on screen (median, min, max).
//
//   node e2e/measure.mjs [items=10000] [runs=5]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const [items = '10000', runs = '5'] = process.argv.slice(2);
const pg = 'postgres://postgres@127.0.0.1:5432';
const db = `theatre_measure_${process.pid}`;
const tmp = mkdtempSync(join(tmpdir(), 'web-measure.'));
const port = await new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => ok(p));
  });
});
const base = `http://127.0.0.1:${port}`;
const gateway = spawn(join(root, 'target/debug/gateway'), [], {
  env: { ...process.env, PORT: String(port), DATABASE_URL: `${pg}/${db}`, DATA_DIR: join(tmp, 'data'), EMBEDDED_S3_PORT: '0', REDIS_PREFIX: `measure:${process.pid}:`, WEB_DIST: join(web, 'dist'), RUST_LOG: 'warn' },
  stdio: 'ignore',
});
let browser;
try {
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const seeded = spawnSync(join(root, 'target/debug/examples/seed'), ['--items', items, '--database-url', `${pg}/${db}`], { encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
  const password = /^password: (\S+)/m.exec(readFileSync(join(tmp, 'data/demo-login.txt'), 'utf8'))[1];
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', 'admin@demo.theatre');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=who]', { state: 'attached' });
  const times = [];
  for (let i = 0; i < Number(runs); i++) {
    // A full page load each time (the session continues from the tab's refresh token).
    await page.goto(`${base}/inventory`);
    await page.waitForSelector('[data-testid=item-row]');
    times.push(await page.evaluate(() => Math.round(globalThis.performance.now())));
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ items: Number(items) + 300, runs: times.length, median_ms: times[Math.floor(times.length / 2)], min_ms: times[0], max_ms: times[times.length - 1] }));
} finally {
  await browser?.close();
  gateway.kill('SIGTERM');
  await new Promise((r) => (gateway.exitCode !== null ? r() : gateway.once('exit', r)));
  spawnSync('psql', [`${pg}/postgres`, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
}
