// /docs in headless Chromium (Debian's, driven by playwright-core): every request the page makes
// to anywhere but the gateway is aborted and recorded. Prints a JSON report; see .ci/docs-ui.
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
const gateway = new URL(base).origin;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  const outbound = [];
  const failed = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === gateway) return route.continue();
    outbound.push(url);
    return route.abort();
  });
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('pageerror', (e) => failed.push(`page error: ${e.message}`));
  await page.goto(`${gateway}/docs/`, { waitUntil: 'networkidle' });
  // Not rendered within 30 s: the report says so (no summaries) and lists what was blocked.
  await page
    .waitForSelector('.opblock-summary-description', { timeout: 30000 })
    .catch((e) => failed.push(`no operation rendered: ${e.message.split('\n')[0]}`));
  const summaries = await page.$$eval('.opblock-summary-description', (els) =>
    els.map((e) => e.textContent.trim()));
  const rawLink = await page.$$eval('a', (els) =>
    els.map((a) => a.getAttribute('href')).filter((h) => h && h.includes('/api/openapi.json')));
  await page.screenshot({ path: shot });
  console.log(JSON.stringify({ summaries, rawLink, outbound, failed }));
} finally {
  await browser.close();
}
