// End-to-end: the built front end in headless Chromium (Debian's, driven by playwright-core)
// against a real gateway (target/debug/gateway) on a fresh database, Redis prefix and DATA_DIR
// with the demo theatre. Screenshots of each main screen go to target/web-screenshots/.
//
//   node e2e/run.mjs              (web/ci runs it after `npm run build`)
//   E2E_KEEP=1 keeps the gateway's folder; CHROMIUM=/path overrides the browser.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const shots = process.env.WEB_SCREENSHOTS ?? join(root, 'target', 'web-screenshots');
mkdirSync(shots, { recursive: true });

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

const pg = process.env.E2E_PG ?? 'postgres://postgres@127.0.0.1:5432';
const db = `theatre_e2e_${process.pid}`;
const tmp = mkdtempSync(join(tmpdir(), 'web-e2e.'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const log = createWriteStream(join(tmp, 'gateway.log'));
const gateway = spawn(join(root, 'target', 'debug', 'gateway'), [], {
  env: {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: `${pg}/${db}`,
    DATA_DIR: join(tmp, 'data'),
    EMBEDDED_S3_PORT: '0',
    REDIS_PREFIX: `e2e:${process.pid}:`,
    DEMO: 'true',
    RUN_WORKER: 'true',
    WEB_DIST: join(web, 'dist'),
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
    // Every scenario signs in from 127.0.0.1 and every page load refreshes the session: on a
    // quiet machine the run exceeds the per-account login and refresh limits (10 logins in
    // 15 min, 30 refreshes a minute), which the auth tests cover; lifted here by configuration.
    RATE_LIMIT_LOGIN_PER_IP: '10000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '10000',
    RATE_LIMIT_REFRESH_PER_IP: '10000',
    RATE_LIMIT_REFRESH_PER_ACCOUNT: '10000',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
gateway.stdout.pipe(log);
gateway.stderr.pipe(log);

const results = [];
let browser;
let failed = false;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    assert.ok(gateway.exitCode === null, 'the gateway exited while starting');
    assert.ok(i < 600, 'the gateway did not become healthy in 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  // Healthy means this gateway answered (not another process that took the port first).
  assert.ok(gateway.exitCode === null, 'the gateway exited while starting');
  const logins = readFileSync(join(tmp, 'data', 'demo-login.txt'), 'utf8');
  const admin = { email: 'admin@demo.theatre', password: /^password: (\S+)/m.exec(logins)[1] };
  const user = (email) => ({ email, password: new RegExp(`^user: ${email} (\\S+)`, 'm').exec(logins)[1] });
  const props = user('props@demo.theatre');
  const viewer = user('viewer@demo.theatre');

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });

  const newPage = async (size = { width: 1280, height: 900 }) => {
    const context = await browser.newContext({ viewport: size, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    return page;
  };
  const signIn = async (page, who) => {
    await page.goto(`${base}/login`);
    await page.fill('input[name=email]', who.email);
    await page.fill('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]', { state: 'attached' });
  };
  const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
  const scenario = async (name, body) => {
    const started = Date.now();
    try {
      await body();
      results.push(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed = true;
      results.push(`FAIL ${name}: ${e.message.split('\n').slice(0, 4).join(' | ')}`);
      // What the failing page showed, beside the screenshots (a CI artefact).
      const pages = browser.contexts().flatMap((c) => c.pages());
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await pages.at(-1)?.screenshot({ path: join(shots, `FAILED-${slug}.png`), fullPage: true }).catch(() => {});
    }
  };

  await scenario('the props master creates an item, issues it, sees a second issue refused, returns it', async () => {
    const page = await newPage();
    await signIn(page, props);
    await shot(page, 'dashboard');
    await page.click('nav >> text=Инвентарь');
    await page.waitForSelector('[data-testid=item-row]');
    await shot(page, 'inventory-list');
    // The small picture in the README (docs/web-inventory.png is a copy of it).
    await page.setViewportSize({ width: 960, height: 540 });
    await page.screenshot({ path: join(shots, 'readme-inventory.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('text=Новый предмет');
    await page.fill('input[name=name]', 'Кубок короля (e2e)');
    await page.selectOption('select[name=category_id]', { label: 'Реквизит' });
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=item-status]');
    assert.equal(await page.textContent('[data-testid=item-status]'), 'На складе');
    const url = page.url();
    // A second tab with the same card, opened before the item is issued (a stale screen).
    const stale = await newPage();
    await signIn(stale, props);
    await stale.goto(url);
    await stale.waitForSelector('[data-action=issue]');

    await page.click('[data-action=issue]');
    await page.click('[data-testid=movement-submit]');
    await page.waitForSelector('[data-testid=item-status]:text("Выдан")');
    assert.equal(await page.locator('[data-action=issue]').count(), 0, 'issue is not offered for an issued item');
    await shot(page, 'item-card');

    await stale.click('[data-action=issue]');
    await stale.click('[data-testid=movement-submit]');
    const refusal = await stale.waitForSelector('[data-testid=problem]');
    const text = await refusal.textContent();
    assert.match(text, /in_use|выдан|Выдан|409|conflict|Конфликт/i, `the refusal names the conflict: ${text}`);

    await page.click('[data-action=return]');
    await page.click('[data-testid=movement-submit]');
    await page.waitForSelector('[data-testid=item-status]:text("На складе")');
    await page.waitForFunction(() => globalThis.document.querySelectorAll('[data-testid=movement-row]').length >= 3);
    const history = await page.locator('[data-testid=movement-row]').allTextContents();
    assert.match(history[0], /Возврат/, `the newest movement is the return: ${history[0]}`);
    assert.ok(history.length >= 3, `receipt, issue and return are in the history: ${history}`);
  });

  await scenario('CSV import: the dry run shows the bad row and imports nothing; fixed, it imports; bulk outcomes per row; a tree node created', async () => {
    const page = await newPage();
    await signIn(page, admin);
    const mark = `e2eimp${process.pid}`;
    const csv = (category) => ({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(`name,category_code,tags\nБокал ${mark},props,стекло\nКубок ${mark},${category},\n`) });
    await page.goto(`${base}/inventory/import`);
    await page.setInputFiles('[data-testid=import-file]', csv('nosuch'));
    await page.click('[data-testid=import-dry-run]');
    await page.waitForSelector('[data-testid=import-row][data-line="3"][data-ok=false]');
    assert.match(await page.textContent('[data-testid=import-row][data-line="3"]'), /category_code/);
    assert.equal(await page.getAttribute('[data-testid=import-row][data-line="2"]', 'data-ok'), 'true');
    assert.equal(await page.locator('[data-testid=import-real]').count(), 0, 'no real import offered while a row is wrong');
    await page.waitForSelector('[data-testid=import-not-done]');
    await shot(page, 'inventory-import-dry-run');
    await page.goto(`${base}/inventory?q=${mark}`);
    await page.waitForSelector('text=Ничего не найдено');

    await page.goto(`${base}/inventory/import`);
    await page.setInputFiles('[data-testid=import-file]', csv('props'));
    await page.click('[data-testid=import-dry-run]');
    await page.waitForSelector('[data-testid=import-real]');
    await page.click('[data-testid=import-real]');
    await page.click('[data-testid=import-confirm]');
    await page.waitForSelector('[data-testid=imported-count]:text("2")');
    await shot(page, 'inventory-import');

    // The rows are virtualised: scrolling down fetches the next pages, the DOM keeps a screenful.
    await page.goto(`${base}/inventory`);
    await page.waitForSelector('[data-testid=item-row]');
    for (let i = 0; i < 6; i++) {
      await page.evaluate(() => globalThis.window.scrollTo(0, globalThis.document.body.scrollHeight));
      await page.waitForTimeout(250);
    }
    await page.waitForFunction(() => Number(globalThis.document.querySelector('[data-testid=shown-count]').textContent) > 100);
    const inDom = await page.locator('[data-testid=item-row]').count();
    const loaded = Number(await page.textContent('[data-testid=shown-count]'));
    assert.ok(inDom < loaded && inDom < 80, `only the rows near the screen are rendered: ${inDom} of ${loaded}`);

    await page.goto(`${base}/inventory?q=${mark}`);
    await page.waitForFunction(() => globalThis.document.querySelectorAll('[data-testid=item-row]').length === 2);
    // Returning items that are in stock: refused, item by item, and nothing changes.
    await page.check('[data-testid=select-all]');
    await page.selectOption('[data-testid=bulk-action]', 'movement:return');
    await page.click('[data-testid=bulk-apply]');
    await page.waitForSelector('[data-testid=bulk-outcome]:has-text("Ничего не изменено")');
    assert.equal(await page.locator('[data-testid=row-refusal]').count(), 2, 'each row shows its refusal');
    await page.selectOption('[data-testid=bulk-action]', 'add_tags');
    await page.fill('[data-testid=bulk-tags]', 'e2e-bulk');
    await page.click('[data-testid=bulk-apply]');
    await page.waitForSelector('[data-testid=bulk-outcome]:has-text("Изменения сохранены")');
    await shot(page, 'inventory-bulk');
    // The label sheet of the two selected items.
    const [sheet] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=labels]')]);
    assert.equal(sheet.suggestedFilename(), 'labels.pdf');
    assert.match(readFileSync(await sheet.path()).subarray(0, 5).toString(), /^%PDF-/);
    // At phone width the list and the card fit the screen.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.screenshot({ path: join(shots, 'inventory-list-phone.png'), fullPage: true });
    assert.ok(await page.evaluate(() => globalThis.document.documentElement.scrollWidth <= 375), 'the list fits 375 px');
    await page.click('[data-testid=item-row] a');
    await page.waitForSelector('[data-testid=item-status]');
    assert.ok(await page.evaluate(() => globalThis.document.documentElement.scrollWidth <= 375), 'the card fits 375 px');
    await shot(page, 'item-card-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.goto(`${base}/inventory/trees`);
    await page.click('[data-testid=tree-categories] [data-code=props] [data-node-action=child]');
    await page.fill('[data-testid=tree-categories] input[name=code]', 'goblets_e2e');
    await page.fill('[data-testid=tree-categories] input[name=name]', 'Кубки e2e');
    await page.click('[data-testid=tree-categories] [data-testid=node-save]');
    await page.waitForSelector('[data-testid=tree-categories] [data-code=goblets_e2e]');
    // A category that still holds items is not deleted: the API's reason is shown.
    await page.click('[data-testid=tree-categories] [data-code=props] [data-node-action=delete]');
    await page.click('[data-testid=node-delete-confirm]');
    const refusal = await page.waitForSelector('[data-testid=tree-categories] [data-testid=problem]');
    assert.match(await refusal.textContent(), /предметы: \d+/);
    await page.waitForSelector('[data-testid=move-items-to]');
    await shot(page, 'inventory-trees');
  });

  await scenario('a document upload reaches ready and is found by search', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/documents`);
    await page.waitForSelector('[data-testid=document-row]');
    await page.click('text=Новый документ');
    await page.fill('input[name=title]', 'Монтировочная опись e2e');
    await page.selectOption('select[name=category_id]', { label: 'Технические документы' });
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=upload-input]');
    await page.setInputFiles('[data-testid=upload-input]', {
      name: 'opis.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Монтировочная опись: штанкет номер семь, занавес бархатный, люстра хрустальная.\n'),
    });
    await page.waitForSelector('[data-testid=version-status]:text("Готов")', { timeout: 60000 });
    await shot(page, 'document-card');
    await page.goto(`${base}/documents`);
    await page.fill('input[name=q]', 'хрустальная');
    await page.press('input[name=q]', 'Enter');
    // The unfiltered list shows the new document too (without a snippet) until the search
    // answers: wait for the search's row, whose snippet marks the match.
    const hit = await page.waitForSelector('[data-testid=document-row]:has-text("Монтировочная опись e2e"):has(mark)');
    assert.match(await hit.$eval('mark', (m) => m.textContent), /хрустальн/i, 'the snippet highlights the match');
    await shot(page, 'documents-search');
  });

  await scenario('booking a clashing event shows the conflict', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/schedule`);
    await page.waitForSelector('[data-testid=calendar]');
    const book = async (title) => {
      await page.click('text=Новое событие');
      await page.fill('input[name=title]', title);
      await page.selectOption('select[name=venue_id]', { index: 1 });
      await page.fill('input[name=start]', '2031-03-14T10:00');
      await page.fill('input[name=end]', '2031-03-14T13:00');
      await page.click('button[type=submit]');
    };
    await book('Прогон первого акта e2e');
    await page.waitForSelector('[data-testid=event-saved]');
    await book('Репетиция оркестра e2e');
    const clash = await page.waitForSelector('[data-testid=clash]');
    assert.match(await clash.textContent(), /Прогон первого акта e2e/);
    await shot(page, 'schedule-clash');
    await page.click('text=Отмена');
    await shot(page, 'schedule');
  });

  // The schedule screens' API set-up goes straight to the API (a token of its own, not the page's).
  const apiSession = async (who) => {
    const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(who) })).json();
    const call = async (method, path, body) => {
      const r = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${login.access_token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    return { call, user: login.user };
  };

  await scenario('dragging an event onto an occupied slot shows the clash and the event stays; onto a free one moves it', async () => {
    const { call } = await apiSession(admin);
    const venue = (await call('GET', '/schedule/venues')).items[0];
    const book = (title, from, to) => call('POST', '/schedule/events', { title, kind: 'rehearsal', venue_id: venue.id, starts_at: `2031-03-20T${from}:00+03:00`, ends_at: `2031-03-20T${to}:00+03:00` });
    await book('Читка пьесы e2e', '10:00', '11:00');
    const moved = await book('Перенос e2e', '16:00', '17:00');
    const page = await newPage();
    await signIn(page, admin);
    // The week of the sign-in day with its venue lanes (the seeded events are around today).
    await page.goto(`${base}/schedule?view=week`);
    await page.waitForSelector('[data-testid=lane] [data-testid=event]');
    await shot(page, 'schedule-week-lanes');
    await page.goto(`${base}/schedule?view=day&date=2031-03-20`);
    const card = page.locator(`[data-testid=event][data-event-id="${moved.id}"]`);
    await card.waitFor();
    const before = await card.getAttribute('style');
    // Onto 10:00 in the same venue's lane (the grid starts at 08:00, 40 px an hour; the event is
    // grabbed at its middle, 20 px below its top).
    await card.dragTo(page.locator(`[data-testid=lane][data-venue="${venue.id}"]`), { sourcePosition: { x: 10, y: 20 }, targetPosition: { x: 10, y: 100 } });
    const clash = await page.waitForSelector('[data-testid=move-status] [data-testid=clash]');
    assert.match(await clash.textContent(), /Читка пьесы e2e/);
    await page.waitForSelector('[data-testid=move-failed]');
    await shot(page, 'schedule-drag-clash');
    assert.equal(await card.getAttribute('style'), before, 'the event stays in its slot');
    const stored = await call('GET', `/schedule/events/${moved.id}`);
    assert.equal(stored.starts_at, moved.starts_at, 'the server kept the time');
    // Onto a free slot of another venue: 13:00 there.
    const other = (await call('GET', '/schedule/venues')).items[1];
    await card.dragTo(page.locator(`[data-testid=lane][data-venue="${other.id}"]`), { sourcePosition: { x: 10, y: 20 }, targetPosition: { x: 10, y: 220 } });
    await page.waitForSelector('[data-testid=event-moved]');
    const after = await call('GET', `/schedule/events/${moved.id}`);
    assert.deepEqual([after.venue_id, after.starts_at, after.ends_at], [other.id, '2031-03-20T10:00:00Z', '2031-03-20T11:00:00Z']);
    // The keyboard way: the event's panel edits the times.
    await card.click();
    await page.waitForSelector('[data-testid=event-panel-time]:has-text("13:00")');
  });

  await scenario("an RSVP in the event panel changes the participant's answer; an editor invites a person and removes them", async () => {
    const { call, user } = await apiSession(admin);
    const venue = (await call('GET', '/schedule/venues')).items[1];
    const event = await call('POST', '/schedule/events', {
      title: 'Худсовет e2e', kind: 'meeting', venue_id: venue.id, starts_at: '2031-03-21T12:00:00+03:00', ends_at: '2031-03-21T13:00:00+03:00',
      participants: [{ user_id: user.id, role: 'manager' }],
    });
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/schedule?view=day&date=2031-03-21&event=${event.id}`);
    const mine = page.locator(`[data-testid=participant][data-user="${user.id}"] [data-testid=participant-answer]`);
    await mine.waitFor();
    assert.match(await mine.textContent(), /Нет ответа/);
    await page.click('[data-testid=event-panel] [data-testid=rsvp-tentative]');
    await page.waitForSelector(`[data-testid=participant][data-user="${user.id}"] [data-testid=participant-answer]:has-text("Возможно")`);
    const people = await call('GET', `/schedule/events/${event.id}/participants`);
    assert.equal(people.items.find((p) => p.user_id === user.id).answer, 'tentative');
    // The administrator invites the stage manager from the panel, then removes them.
    const stage = (await call('GET', '/users?limit=200')).items.find((u) => u.email === 'stage@demo.theatre');
    await page.selectOption('[data-testid=invite-form] select[name=user_id]', stage.id);
    await page.selectOption('[data-testid=invite-form] select[name=role]', 'technician');
    await page.click('[data-testid=invite-form] button[type=submit]');
    const invited = page.locator(`[data-testid=participant][data-user="${stage.id}"]`);
    await invited.waitFor();
    assert.match(await invited.textContent(), /Техник/);
    await shot(page, 'schedule-event-panel');
    await invited.locator('button').click();
    await invited.waitFor({ state: 'detached' });
    const after = await call('GET', `/schedule/events/${event.id}/participants`);
    assert.deepEqual(after.items.map((p) => p.user_id), [user.id], 'only the administrator is left');
    // A phone: the day is a list and the panel follows it.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.waitForSelector('[data-testid=day-list] >> text=Худсовет e2e');
    await shot(page, 'schedule-phone');
  });

  await scenario('an iCal feed link is shown to copy and serves the calendar', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/schedule`);
    await page.fill('[data-testid=feeds] input[name=name]', 'Телефон e2e');
    await page.click('[data-testid=ical-create]');
    const link = page.locator('[data-testid=ical-url]').first();
    await link.waitFor();
    const url = await link.inputValue();
    assert.match(url, /\/api\/v1\/schedule\/calendar\/me\.ics\?token=\S+/);
    await page.locator('[data-testid=feeds]').scrollIntoViewIfNeeded();
    await shot(page, 'schedule-ical');
    const feed = await fetch(url);
    assert.equal(feed.status, 200);
    assert.match(await feed.text(), /BEGIN:VCALENDAR/);
  });

  await scenario('a viewer sees no edit buttons and a forged request gets 403 shown as a message', async () => {
    const page = await newPage({ width: 390, height: 844 });
    await signIn(page, viewer);
    await page.goto(`${base}/inventory`);
    await page.waitForSelector('[data-testid=item-row]');
    assert.equal(await page.locator('text=Новый предмет').count(), 0, 'no create link');
    await page.click('[data-testid=item-row] a');
    await page.waitForSelector('[data-testid=item-status]');
    assert.equal(await page.locator('[data-action]').count(), 0, 'no movement buttons');
    assert.equal(await page.locator('text=Изменить').count(), 0, 'no edit button');
    await shot(page, 'viewer-item-card');
    // Forged: the page is told the viewer may do everything; the API still refuses.
    await page.route('**/api/v1/auth/me', async (route) => {
      const response = await route.fetch();
      const me = await response.json();
      await route.fulfill({ response, json: { ...me, permissions: ['admin:full'] } });
    });
    await page.reload();
    await page.waitForSelector('[data-action]');
    await page.locator('[data-action]').first().click();
    await page.click('[data-testid=movement-submit]');
    const problem = await page.waitForSelector('[data-testid=problem]');
    assert.match(await problem.textContent(), /403/);
    await shot(page, 'viewer-forged-403');
  });

  await scenario('a poster upload shows its variants; the administration screens render', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/performances`);
    await page.click('[data-testid=performance-row] a');
    await page.waitForSelector('[data-testid=readiness]');
    // Any real PNG will do as a poster: a screenshot of the card itself.
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: 600, height: 800 } });
    await page.setInputFiles('[data-testid=poster-input]', { name: 'afisha.png', mimeType: 'image/png', buffer: png });
    await page.waitForSelector('[data-testid=poster-status]:text("Готов")', { timeout: 60000 });
    const variants = await page.locator('[data-testid=poster-variant]').allTextContents();
    assert.ok(variants.length >= 2, `the poster has web variants: ${variants}`);
    await page.waitForSelector('img[alt]');
    await shot(page, 'performance-card');
    await page.goto(`${base}/admin/roles`);
    await page.click('details summary >> nth=1');
    await page.waitForSelector('input[type=checkbox]:visible');
    await shot(page, 'admin-roles');
    await page.goto(`${base}/admin/audit`);
    await page.waitForSelector('[data-testid=audit-row]');
    await shot(page, 'admin-audit');
  });

  await scenario('the production card: tick a checklist item, add a cast member, take a snapshot and compare', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/performances`);
    await page.click('[data-testid=performance-row] a');
    await page.waitForSelector('[data-testid=readiness]');
    await page.waitForSelector('[data-testid=passport-category]');
    // Filing a document: the auto-filing guess is shown and confirmed.
    await page.click('[data-testid=file-document] summary');
    await page.fill('input[name=document_q]', 'Смета');
    await page.click('[data-testid=file-document] button[type=submit]');
    await page.click('[data-testid=document-pick]:has-text("Смета постановки")');
    const guess = await page.waitForSelector('[data-testid=filing-guess]');
    assert.match(await guess.textContent(), /Автоподшивка предлагает/, 'the guess is shown');
    assert.notEqual(await page.inputValue('select[name=filing_category]'), '', 'the guess is preselected');
    await page.click('button:has-text("Подшить")');
    await page.waitForSelector('[data-testid=passport-document]:has-text("Смета постановки")');
    await page.screenshot({ path: join(shots, 'performance-passport.png'), fullPage: true });
    // The snapshot comes first, so the cast member added after it is a difference.
    await page.click('[role=tab][data-tab=snapshots]');
    await page.fill('input[name=snapshot_name]', 'Перед гастролями e2e');
    await page.click('button:has-text("Сделать снимок")');
    await page.waitForSelector('[data-testid=snapshot-row]:has-text("Перед гастролями e2e")');

    await page.click('[role=tab][data-tab=checklists]');
    await page.waitForSelector('select[name=template_id] option', { state: 'attached' });
    await page.click('button:has-text("Начать по шаблону")');
    await page.locator('[data-testid=checklist-item] input[type=checkbox]').first().check();
    const ticked = await page.waitForSelector('[data-testid=ticked-by]');
    assert.match(await ticked.textContent(), /отметил\(а\) вы|Администратор|admin/i, 'the tick says who');
    await page.waitForSelector('[data-testid=checklist-progress]:text-matches("^1/")');

    await page.click('[role=tab][data-tab=cast]');
    await page.click('summary:has-text("Добавить в состав")');
    await page.fill('[data-testid=cast-form] input[name=role_name]', 'Треплев');
    await page.fill('[data-testid=cast-form] input[name=person_name]', 'Иван Сидоров e2e');
    await page.click('[data-testid=cast-form] button[type=submit]');
    await page.waitForSelector('[data-testid=cast-row]:has-text("Иван Сидоров e2e")');

    await page.click('[role=tab][data-tab=snapshots]');
    await page.click('[data-testid=snapshot-row]:has-text("Перед гастролями e2e") >> button:has-text("Сравнить")');
    const diff = await page.waitForSelector('[data-testid=snapshot-diff] [data-testid=diff-row]:has-text("Иван Сидоров e2e")');
    assert.match(await diff.textContent(), /добавлено/, 'the new cast member is shown as added');
    await shot(page, 'performance-snapshot-compare');
    // Two snapshots compared: a second one taken now differs from the first by the same member,
    // and from itself by nothing.
    await page.fill('input[name=snapshot_name]', 'С новым составом e2e');
    await page.click('button:has-text("Сделать снимок")');
    await page.waitForSelector('[data-testid=snapshot-row]:has-text("С новым составом e2e")');
    // A row by its own name (the other row's comparison picker names it too).
    const row = (name) => page.locator('[data-testid=snapshot-row]').filter({ has: page.locator('span.font-medium', { hasText: name }) });
    const first = row('Перед гастролями e2e');
    await first.locator('[data-testid=compare-with]').selectOption({ label: await first.locator('[data-testid=compare-with] option:has-text("С новым составом e2e")').textContent() });
    await first.locator('[data-testid=diff-row]:has-text("Иван Сидоров e2e")').waitFor();
    const second = row('С новым составом e2e');
    await second.locator('button:has-text("Сравнить")').click();
    await second.locator('[data-testid=no-changes]').waitFor();
    // A phone: the tabs scroll sideways, the passport stays readable.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.click('[role=tab][data-tab=passport]');
    await page.waitForSelector('[data-testid=readiness]');
    await shot(page, 'performance-passport-phone');
  });

  await scenario('the production card: a stale edit asks to reload, status moves follow the state machine, a viewer changes nothing', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/performances`);
    await page.click('[data-testid=performance-row] a >> nth=1');
    await page.waitForSelector('[data-testid=performance-status]');
    const url = page.url();
    const stale = await newPage();
    await signIn(stale, admin);
    await stale.goto(url);
    await stale.waitForSelector('[data-testid=performance-status]');
    await stale.click('button:has-text("Изменить") >> nth=0');

    await page.click('button:has-text("Изменить") >> nth=0');
    await page.fill('[data-testid=performance-form] input[name=subtitle]', 'комедия в пяти действиях (e2e)');
    await page.click('[data-testid=performance-form] button[type=submit]');
    await page.waitForSelector('text=комедия в пяти действиях (e2e)');

    await stale.fill('[data-testid=performance-form] input[name=genre]', 'трагикомедия');
    await stale.click('[data-testid=performance-form] button[type=submit]');
    await stale.waitForSelector('[data-testid=stale]');
    await shot(stale, 'performance-stale-edit');
    // Reloading shows the other change in the form: nothing is overwritten unseen.
    await stale.click('[data-testid=stale] button');
    await stale.waitForFunction(() => globalThis.document.querySelector('[data-testid=performance-form] input[name=subtitle]')?.value === 'комедия в пяти действиях (e2e)');
    assert.equal(await stale.locator('[data-testid=stale]').count(), 0, 'the reloaded form starts clean');

    const status = await page.textContent('[data-testid=performance-status]');
    const offered = await page.locator('[data-status-action]').evaluateAll((bs) => bs.map((b) => b.dataset.statusAction));
    const machine = { 'Подготовка': ['in_repertoire', 'archived'], 'В репертуаре': ['paused', 'archived'], 'Приостановлен': ['in_repertoire', 'archived'], 'Архив': ['preparation'] };
    assert.deepEqual(offered, machine[status], `moves offered from ${status}`);
    await page.click(`[data-status-action=${offered[0]}]`);
    await page.waitForFunction((before) => globalThis.document.querySelector('[data-testid=performance-status]')?.textContent !== before, status);

    const view = await newPage({ width: 390, height: 844 });
    await signIn(view, viewer);
    await view.goto(url);
    await view.waitForSelector('[data-testid=readiness]');
    for (const tab of ['passport', 'cast', 'scenes', 'kit', 'checklists', 'snapshots']) {
      await view.click(`[role=tab][data-tab=${tab}]`);
      await view.waitForSelector('[role=tabpanel] h2');
      assert.equal(await view.locator('[data-status-action], [data-testid=poster-input], [data-testid=file-document], form, button:has-text("Изменить"), button:has-text("Удалить"), button:has-text("Убрать")').count(), 0, `nothing to change on ${tab}`);
    }
  });

  await scenario('an administrator runs a report and downloads its CSV, edits the theatre settings, creates a department', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/reports?report=inventory_stock`);
    await page.waitForSelector('[data-testid=report-form]');
    await page.selectOption('select[name=group_by]', 'status');
    await page.click('[data-testid=report-form] button[type=submit]');
    await page.waitForSelector('[data-testid=report-row]');
    assert.ok((await page.locator('[data-testid=report-row]').count()) >= 2, 'the stock by status has rows');
    await shot(page, 'reports');
    const [download, response] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForResponse((r) => r.url().includes('/api/v1/reports/inventory_stock') && r.url().includes('format=csv')),
      page.click('[data-format=csv]'),
    ]);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/csv/);
    assert.match(download.suggestedFilename(), /^inventory_stock-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    assert.ok(csv.length >= 3, `a header and rows: ${csv.length} lines`);
    assert.ok(csv[0].split(/[,;]/).length >= 2, `the header has columns: ${csv[0]}`);
    await page.waitForSelector('[data-testid=report-downloaded]');
    // A weekly schedule of the same report, then deleted.
    page.on('dialog', (d) => d.accept());
    await page.click('text=Новое расписание');
    await page.selectOption('[data-testid=schedule-form] select[name=report]', 'inventory_stock');
    await page.selectOption('[data-testid=schedule-form] select[name=format]', 'csv');
    await page.fill('[data-testid=schedule-form] input[name=title]', 'Остатки по понедельникам e2e');
    await page.click('[data-testid=schedule-form] button[type=submit]');
    await page.waitForSelector('[data-testid=schedule-row]:has-text("Остатки по понедельникам e2e")');
    await page.click('[data-testid=schedule-row]:has-text("Остатки по понедельникам e2e") >> text=Удалить');
    await page.waitForSelector('[data-testid=schedule-row]:has-text("Остатки по понедельникам e2e")', { state: 'detached' });
    // A period report refuses a period ending before it starts, on the field.
    await page.goto(`${base}/reports?report=inventory_movements`);
    await page.fill('[data-testid=report-form] input[name=from]', '2026-12-10');
    await page.fill('[data-testid=report-form] input[name=to]', '2026-12-01');
    await page.click('[data-testid=report-form] button[type=submit]');
    await page.waitForSelector('[data-testid=report-form] [data-field-error]');

    await page.goto(`${base}/admin/theater`);
    await page.waitForSelector('[data-testid=theater-form] input[name=name]');
    await page.fill('[data-testid=theater-form] input[name=timezone]', 'not a zone');
    await page.click('[data-testid=theater-form] button[type=submit]');
    const tzError = await page.waitForSelector('[data-testid=theater-form] [data-field-error]');
    assert.match(await tzError.textContent(), /IANA/);
    await page.fill('[data-testid=theater-form] input[name=timezone]', 'Europe/Samara');
    await page.fill('[data-testid=theater-form] input[name=name]', 'Демо-театр e2e');
    await page.click('[data-testid=theater-form] button[type=submit]');
    await page.waitForSelector('[data-testid=theater-saved]');
    await page.reload();
    assert.equal(await page.inputValue('[data-testid=theater-form] input[name=timezone]'), 'Europe/Samara');
    assert.equal(await page.inputValue('[data-testid=theater-form] input[name=name]'), 'Демо-театр e2e');
    await shot(page, 'admin-theater');

    await page.goto(`${base}/admin/departments`);
    await page.waitForSelector('[data-testid=department-row]');
    await page.click('text=Новый цех');
    await page.fill('[data-testid=department-form] input[name=code]', 'rigging_e2e');
    await page.fill('[data-testid=department-form] input[name=name]', 'Монтировочный цех e2e');
    await page.click('[data-testid=department-form] button[type=submit]');
    await page.waitForSelector('[data-testid=department-row]:has-text("Монтировочный цех e2e")');
    const row = page.locator('[data-testid=department-row]:has-text("Монтировочный цех e2e")');
    await row.locator('summary').click();
    await row.locator('input[type=checkbox]').first().check();
    await row.locator('text=Сотрудники: 1').waitFor();
    await row.locator('text=Переименовать').click();
    await row.locator('input[name=rename]').fill('Монтировочный цех (e2e)');
    await row.locator('button[type=submit]').click();
    await page.waitForSelector('[data-testid=department-row]:has-text("Монтировочный цех (e2e)")');
    await shot(page, 'admin-departments');
    await page.goto(`${base}/admin/roles`);
    await page.click('text=Новая роль');
    await page.fill('[data-testid=role-form] input[name=code]', 'rigger_e2e');
    await page.fill('[data-testid=role-form] input[name=name]', 'Монтировщик e2e');
    await page.check('[data-testid=role-form] label:has-text("inventory:view") input');
    await page.check('[data-testid=role-form] label:has-text("schedule:view") input');
    await page.click('[data-testid=role-form] button[type=submit]');
    await page.waitForSelector('[data-testid=role-row]:has-text("Монтировщик e2e") >> text=(2)');
    await page.goto(`${base}/admin/audit`);
    await page.fill('[data-testid=audit-filters] input[name=entity_type]', 'department');
    await page.click('[data-testid=audit-filters] button[type=submit]');
    await page.waitForSelector('[data-testid=audit-row]:has-text("department.create")');
    await page.click('[data-testid=audit-row] summary');
    await page.waitForSelector('[data-testid=audit-diff]:has-text("Монтировочный цех (e2e)")');
    await shot(page, 'admin-audit-filtered');
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${base}/admin/departments`);
    await page.waitForSelector('[data-testid=department-row]');
    await shot(page, 'admin-departments-phone');
  });

  await scenario('a document generated from the seeded passport template reaches ready', async () => {
    const page = await newPage();
    await signIn(page, admin);
    await page.goto(`${base}/templates`);
    await page.click('[data-testid=template-row] >> text=Титульный лист паспорта спектакля');
    await page.waitForSelector('[data-testid=generate-form]');
    await page.selectOption('[data-testid=generate-form] select[name=performance_id]', { index: 1 });
    await page.fill('[data-testid=generate-form] input[name=value-compiled_on]', '2026-12-07');
    await page.selectOption('[data-testid=generate-form] select[name=format]', 'docx');
    await page.click('[data-testid=generate-form] button[type=submit]');
    await page.waitForSelector('[data-testid=generation-status]:text("Готово")', { timeout: 60000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=generation-download]')]);
    const docx = readFileSync(await download.path());
    assert.equal(docx.subarray(0, 2).toString(), 'PK', 'the result is a DOCX (a zip)');
    await shot(page, 'templates');
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${base}/reports`);
    await page.waitForSelector('[data-testid=report-form]');
    await shot(page, 'reports-phone');
  });

  await scenario('a template made from a DOCX lists its placeholders and takes a variable type', async () => {
    const page = await newPage();
    await signIn(page, admin);
    // A new template from the seeded one's DOCX: uploaded through the presigned flow, its
    // placeholders found and listed as not yet defined.
    await page.goto(`${base}/templates`);
    await page.click('[data-testid=template-row] >> text=Титульный лист паспорта спектакля');
    await page.click('text=Файл DOCX');
    const [original] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Скачать") >> nth=0')]);
    const bytes = readFileSync(await original.path());
    await page.goto(`${base}/templates`);
    await page.click('text=Новый шаблон');
    await page.fill('[data-testid=template-form] input[name=name]', 'Титульный лист e2e');
    await page.setInputFiles('[data-testid=template-form] input[name=file]', { name: 'titul.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', buffer: bytes });
    await page.click('[data-testid=template-form] button[type=submit]');
    await page.waitForSelector('[data-testid=vars-undefined] >> text=compiled_on', { timeout: 30000 });
    // Defining one of them as a date moves it (alone) to the defined ones.
    await page.click('summary:has-text("Изменить")');
    await page.selectOption('select[name=type-compiled_on]', 'date');
    await page.click('text=Сохранить переменные');
    await page.waitForSelector('[data-testid=vars-defined] >> text=compiled_on');
    assert.equal(await page.locator('[data-testid=vars-undefined] >> text=compiled_on').count(), 0);
    assert.equal(await page.locator('[data-testid=vars-undefined] >> text="title"').count(), 1, 'the placeholders left alone stay undefined');
    await page.waitForSelector('[data-testid=generate-form] input[name=value-compiled_on][type=date]');
    await page.evaluate(() => globalThis.scrollTo(0, 0));
    await shot(page, 'template-new');
    await page.setViewportSize({ width: 375, height: 812 });
    await page.waitForSelector('[data-testid=generate-form]');
    await shot(page, 'templates-phone');
  });
} catch (e) {
  failed = true;
  results.push(`FAIL set-up: ${e.message}`);
} finally {
  await browser?.close();
  gateway.kill('SIGTERM');
  await new Promise((r) => (gateway.exitCode !== null ? r() : gateway.once('exit', r)));
  spawnSync('psql', [`${pg}/postgres`, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`], { stdio: 'ignore' });
  console.log(results.join('\n'));
  console.log(`screenshots: ${shots}`);
  if (failed) {
    await new Promise((r) => log.end(r));
    console.error(`--- gateway log (last 30 lines) ---\n${readFileSync(join(tmp, 'gateway.log'), 'utf8').split('\n').slice(-30).join('\n')}`);
  }
  if (!process.env.E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}
