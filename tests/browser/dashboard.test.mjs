// Browser test of the officers' dashboard in a real headless Chromium (Debian's package).
//
// Starts `danvan-demo --serve` (a server seeded by simulated phones, with a commune officer and
// a city officer), then as the city officer: log in, pick the period, go down from the city to a
// commune, check a figure on the page against /api/v1/aggregates fetched in the same session,
// switch to English, download the CSV and XLSX exports and check them, check the record list is
// forbidden; then as the commune officer: open the record list and a record, lock the period,
// and open a locked period's "submitted vs now" comparison and its changed record; then, as the
// city officer again, the city's view (ADR 0015): the attention list names the commune the
// test made late (Hòa Bình, locked after the deadline above) and the one with the demo's
// overdue recommendation (Thủy Nguyên), sorting by success rate orders the rows, the filter
// narrows them; the page height at 1280 px is logged (MEASURE lines), screenshots at 1280 and
// 360 px wide and an A4 print to PDF are kept.
// Screenshots go to target/browser-artifacts/ and are kept.
//
// Usage: node dashboard.test.mjs <path to danvan-demo> [artifacts dir]

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const demoBin = process.argv[2] || path.join(root, 'target', 'debug', 'danvan-demo');
const artifacts = path.resolve(process.argv[3] || path.join(root, 'target', 'browser-artifacts'));
const PASSWORD = 'mat-khau-thu-nghiem-2025';
const CITY = 'bao.haiphong';
const COMMUNE_OFFICER = 'thu.hoabinh';
const COMMUNE = '11533';
const PERIOD = '2025-09';
const LOCKED_PERIOD = '2025-Q3';
const PREDECESSOR_PERIOD = '2025-H1';
const OLD_HOA_BINH = '11527';
const THUY_NGUYEN = '11560';
const started = Date.now();

mkdirSync(artifacts, { recursive: true });
let step = 0;
const log = (msg) => console.log(`[browser ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
  log(`✓ ${msg}`);
}
async function shot(page, name) {
  step += 1;
  const file = path.join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
}

function startDemo() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'danvan-browser-'));
  const child = spawn(
    demoBin,
    ['--serve', '--port', '0', '--data-dir', dataDir, '--dashboard-password', PASSWORD],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the demo did not print DASHBOARD_URL within 120 s')), 120_000);
    child.stdout.on('data', (b) => {
      out += b.toString();
      const m = out.match(/^DASHBOARD_URL=(\S+)$/m);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`the demo exited early (${code}):\n${out}`)));
  });
  return { child, url, dataDir };
}

/// The number shown in a figure cell ("1.234" in Vietnamese, "1,234" in English).
function parseCount(text) {
  return Number(text.trim().replace(/[.,\s]/g, ''));
}

async function login(page, base, user) {
  await page.goto(`${base}/dashboard?unit=31&period=${PERIOD}`);
  check(page.url().includes('/login?next='), `${user}: no session → login page`);
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#login-form button[type=submit]')]);
  check(new URL(page.url()).pathname === '/dashboard', `${user}: logged in, on the dashboard`);
}

/// The city officer's view of Hải Phòng for the period Hòa Bình has just locked, late.
async function cityView(browser, base) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await login(page, base, CITY);
  await page.goto(`${base}/dashboard?unit=31&period=${PERIOD}&lang=vi`);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  log(`MEASURE city page height at 1280 px (attention list and commune table): ${height} px`);
  check(height < 6000, `the city page is one screen of attention plus one table (${height} px)`);
  const late = page.locator(`#attention-list li[data-unit="${COMMUNE}"] [data-reason="late"]`);
  check((await late.count()) === 1, 'attention: Phường Hòa Bình, locked late by the test');
  check((await page.textContent(`#attention-list li[data-unit="${COMMUNE}"]`)).includes('Phường Hòa Bình'),
    'the line names the commune');
  const overdue = page.locator(`#attention-list li[data-unit="${THUY_NGUYEN}"] [data-reason="recommendations_overdue"]`);
  check((await overdue.count()) === 1, 'attention: Phường Thủy Nguyên, its recommendation overdue');
  check((await overdue.textContent()).includes('kiến nghị quá hạn'), `says why: "${(await overdue.textContent()).trim()}"`);
  const rows = page.locator('#communes-table tbody tr');
  const total = await rows.count();
  check(total === 114, `one table, every commune once (${total} rows)`);
  await shot(page, 'city-view-1280');

  // Sort by success rate (the script sorts in place and keeps the state in the address).
  await page.click('#communes-table th[data-sort="success_rate"] a');
  check(page.url().includes('sort=success_rate'), 'the address keeps the sort');
  const rates = await page.$$eval('#communes-table tbody tr:not([hidden]) td[data-indicator="mediation.success_rate"]',
    (tds) => tds.map((td) => td.getAttribute('data-v')));
  const defined = rates.filter((v) => v !== '').map(Number);
  const firstUndefined = rates.indexOf('');
  check(defined.length >= 1 && rates[0] !== '' && defined.every((v, i) => i === 0 || defined[i - 1] >= v),
    `rows ordered by success rate, largest first (${defined.join(', ')}; ${rates.length - defined.length} with no rate)`);
  check(firstUndefined === defined.length && rates.slice(firstUndefined).every((v) => v === ''),
    'communes with no rate come last');
  const topName = await page.textContent('#communes-table tbody tr:first-child th');
  log(`first row by success rate: ${topName}`);
  await page.click('#communes-table th[data-sort="success_rate"] a');
  const asc = (await page.$$eval('#communes-table tbody tr td[data-indicator="mediation.success_rate"]',
    (tds) => tds.map((td) => td.getAttribute('data-v')))).filter((v) => v !== '').map(Number);
  check(asc.every((v, i) => i === 0 || asc[i - 1] <= v), `a second click reverses (${asc.join(', ')})`);

  // The demo has one commune with a success rate; cases received tell more communes apart.
  await page.click('#communes-table th[data-sort="received"] a');
  const received = await page.$$eval('#communes-table tbody tr td[data-indicator="mediation.received"]',
    (tds) => tds.map((td) => Number(td.getAttribute('data-v'))));
  check(received[0] > received[1] && received[1] > 0 && received.every((v, i) => i === 0 || received[i - 1] >= v),
    `rows ordered by cases received, largest first (${received.slice(0, 3).join(', ')}, …)`);

  // The filter narrows the rows (marks ignored), in place and through the address.
  await page.fill('#communes-q', 'hoa binh');
  const visible = await page.locator('#communes-table tbody tr:not([hidden])').count();
  check(visible >= 1 && visible < total, `search "hoa binh": ${visible} of ${total} rows`);
  check((await page.locator(`#communes-table tbody tr[data-unit="${COMMUNE}"]:not([hidden])`).count()) === 1,
    'Phường Hòa Bình is among them');
  check((await page.textContent('#communes-shown')).includes(`${visible}/114`), 'the count follows');
  await page.fill('#communes-q', '');
  await page.check('#communes-attention');
  const attention = await page.locator('#communes-table tbody tr:not([hidden])').count();
  check(attention >= 2 && attention <= total, `only communes needing attention: ${attention}`);
  await page.uncheck('#communes-attention');
  // Without the script: the same filter as a query parameter.
  const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const np = await noJs.newPage();
  await login(np, base, CITY);
  await np.goto(`${base}/dashboard?unit=31&period=${PERIOD}&q=hoa+binh&sort=success_rate`);
  const serverRows = await np.locator('#communes-table tbody tr').count();
  check(serverRows === visible, `without JavaScript the server filters the same (${serverRows} rows)`);
  await noJs.close();

  // A phone, and paper.
  await page.goto(`${base}/dashboard?unit=31&period=${PERIOD}`);
  await page.setViewportSize({ width: 360, height: 740 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 360, `no sideways scrolling at 360 px (${wide} px wide)`);
  await shot(page, 'city-view-360');
  await page.screenshot({ path: path.join(artifacts, 'city-view-360-first-screen.png') });
  const tableTop = await page.evaluate(() => document.getElementById('communes').getBoundingClientRect().top + window.scrollY);
  await page.screenshot({
    path: path.join(artifacts, 'city-view-360-table.png'),
    fullPage: true,
    clip: { x: 0, y: tableTop, width: 360, height: 740 },
  });
  await page.setViewportSize({ width: 1280, height: 900 });
  const pdf = path.join(artifacts, 'city-view-a4.pdf');
  await page.emulateMedia({ media: 'print' });
  check(!(await page.isVisible('header.top')) && (await page.isVisible('.print-head')),
    'print: no navigation, a header with unit, period and cut-off');
  await page.screenshot({ path: path.join(artifacts, 'city-view-print-media.png') });
  await page.emulateMedia({ media: 'screen' });
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  const pdfBytes = readFileSync(pdf);
  check(pdfBytes.length > 5000 && pdfBytes.subarray(0, 4).toString() === '%PDF', `A4 print to PDF (${pdfBytes.length} bytes)`);
  log(`PDF ${pdf}`);
  await ctx.close();
}

async function main() {
  const demo = startDemo();
  let browser;
  try {
    const base = await demo.url;
    log(`demo server at ${base}`);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // A fresh context is a fresh profile: no cookie from an earlier run.
    const city = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await city.newPage();

    // Wrong password first: generic message, still on the login page.
    await page.goto(`${base}/login`);
    await shot(page, 'login');
    await page.fill('#username', CITY);
    await page.fill('#password', 'not the password');
    await Promise.all([page.waitForNavigation(), page.click('#login-form button[type=submit]')]);
    check((await page.textContent('#login-error')).includes('không đúng'), 'wrong password: generic error');

    await login(page, base, CITY);
    const cookies = await city.cookies();
    const session = cookies.find((c) => c.name === 'danvan_session');
    check(session && session.httpOnly && session.secure && session.sameSite === 'Strict',
      'session cookie is HttpOnly, Secure, SameSite=Strict');

    // City overview for the period of the demo's records, then down to the commune.
    await page.goto(`${base}/dashboard`);
    await page.selectOption('#period-select', PERIOD);
    await Promise.all([page.waitForNavigation(), page.click('#period-picker button[type=submit]')]);
    check((await page.getAttribute('#unit-title', 'data-period')) === PERIOD, 'period picker chose 2025-09');
    check((await page.textContent('#unit-title')).includes('Thành phố Hải Phòng'), 'city overview');
    check((await page.locator('svg.chart').count()) >= 2, 'SVG charts rendered');
    const cityHeight = await page.evaluate(() => document.documentElement.scrollHeight);
    log(`MEASURE city page height at 1280 px: ${cityHeight} px`);
    await shot(page, 'city');
    await Promise.all([
      page.waitForNavigation(),
      page.click('#communes-table a:text-is("Phường Hòa Bình")'),
    ]);
    check((await page.getAttribute('#unit-title', 'data-unit')) === COMMUNE, 'drilled down to Phường Hòa Bình');
    check(await page.isVisible('#disclosure-note'), 'the notice of what is withheld above the commune');
    check((await page.locator('#children a').count()) === 0, 'no link down to a village');
    await shot(page, 'commune');

    // A figure on the page against the API, in the same session.
    const api = await page.evaluate(async ([u, p]) => {
      const r = await fetch(`/api/v1/aggregates?unit=${u}&period=${p}`);
      return { status: r.status, body: await r.json() };
    }, [COMMUNE, PERIOD]);
    check(api.status === 200, 'API answers in the browser session');
    for (const key of ['received', 'successful', 'in_progress']) {
      const shown = parseCount(await page.textContent(`table.indicators [data-indicator="mediation.${key}"]`));
      check(shown === api.body.totals.mediation[key], `mediation.${key}: page ${shown} = API ${api.body.totals.mediation[key]}`);
    }
    check(api.body.totals.mediation.received > 0, 'the commune has cases in the period');

    // English.
    await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
    check((await page.getAttribute('html', 'lang')) === 'en', 'switched to English');
    check((await page.textContent('body')).includes('Grassroots mediation'), 'English labels');
    await shot(page, 'commune-en');

    // Downloads.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#exports a[href*="mediation.csv"]'),
    ]);
    const csvPath = path.join(artifacts, 'mediation.csv');
    await csv.saveAs(csvPath);
    const csvText = readFileSync(csvPath, 'utf8');
    check(csvText.charCodeAt(0) === 0xfeff, 'CSV starts with a UTF-8 BOM');
    const lines = csvText.slice(1).trim().split('\n');
    check(lines[0].startsWith('Unit code,Unit,'), `CSV header row: ${lines[0].slice(0, 40)}…`);
    // Above the commune the CSV of a commune is its total line only: no village (ADR 0012).
    check(lines.length === 2, `CSV: header and the commune's total (${lines.length} lines)`);
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#exports a[href*="moj-hgcs-cases.xlsx"]'),
    ]);
    const xlsxPath = path.join(artifacts, 'moj-hgcs-cases.xlsx');
    await xlsx.saveAs(xlsxPath);
    const bytes = readFileSync(xlsxPath);
    check(bytes.length > 2000 && bytes[0] === 0x50 && bytes[1] === 0x4b, `XLSX downloaded (${bytes.length} bytes, zip)`);
    check(bytes.includes(Buffer.from('xl/worksheets/sheet1.xml')), 'XLSX holds a worksheet');

    // The mass-mobilisation report (Kết luận 114-KL/TW): the page with its tables and text
    // boxes; the .docx downloaded through the page's form with an edited narrative.
    const massResp = await page.goto(`${base}/reports/mass-mobilisation?unit=31&period=2025-H2`);
    check(massResp.status() === 200, 'mass-mobilisation report page (200)');
    check((await page.locator('table.figures').count()) >= 5, 'report tables shown');
    await page.fill('textarea[name=general]', 'Nhận định của cán bộ thành phố (kiểm thử trình duyệt).');
    await shot(page, 'mass-report');
    const [docx] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#mass-docx'),
    ]);
    check(docx.suggestedFilename().endsWith('.docx'), `report file name ${docx.suggestedFilename()}`);
    const docxPath = path.join(artifacts, 'bao-cao-dan-van.docx');
    await docx.saveAs(docxPath);
    const docxBytes = readFileSync(docxPath);
    check(docxBytes.length > 2000 && docxBytes[0] === 0x50 && docxBytes[1] === 0x4b, `DOCX downloaded (${docxBytes.length} bytes, zip)`);
    check(docxBytes.includes(Buffer.from('word/document.xml')), 'DOCX holds word/document.xml');

    // The record list is not for the city officer.
    const forbidden = await page.goto(`${base}/dashboard/records?unit=${COMMUNE}`);
    check(forbidden.status() === 403, 'record list forbidden for the city officer (403)');
    check((await page.getAttribute('[data-error-code]', 'data-error-code')) === 'records_forbidden', 'error code records_forbidden');
    await shot(page, 'records-forbidden');
    await page.goto(`${base}/dashboard?unit=31&period=${PERIOD}`);
    await Promise.all([page.waitForNavigation(), page.click('.userbar button[type=submit]')]);
    check(new URL(page.url()).pathname === '/login', 'logged out');
    await city.close();

    // The commune officer sees the record list and a record.
    const communeCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const cp = await communeCtx.newPage();
    await login(cp, base, COMMUNE_OFFICER);
    await cp.goto(`${base}/dashboard?unit=${COMMUNE}&period=${PERIOD}&lang=vi`);
    await Promise.all([cp.waitForNavigation(), cp.click('#records-link')]);
    const rows = await cp.locator('#records tbody tr').count();
    check(rows >= 3, `commune officer sees the record list (${rows} records)`);
    await shot(cp, 'records');
    await Promise.all([cp.waitForNavigation(), cp.click('#records tbody tr:first-child a')]);
    check((await cp.locator('#record').count()) === 1, 'record detail opens');
    await shot(cp, 'record');
    // Lock the period.
    await cp.goto(`${base}/dashboard?unit=${COMMUNE}&period=${PERIOD}`);
    await Promise.all([cp.waitForNavigation(), cp.click('#lock-form button[type=submit]')]);
    check((await cp.getAttribute('#lock-state', 'data-locked')) === 'true', 'period locked with the form');
    await shot(cp, 'locked');
    // What was submitted: the demo locked 2025-Q3, then a case received on 26 September
    // arrived. The overview links the comparison; it shows the locked and current figures and
    // the changed record, which the commune officer may open.
    await cp.goto(`${base}/dashboard?unit=${COMMUNE}&period=${LOCKED_PERIOD}`);
    await Promise.all([cp.waitForNavigation(), cp.click('#submitted-link')]);
    check(new URL(cp.url()).pathname === '/dashboard/submitted', 'overview links "submitted vs now"');
    check((await cp.getAttribute('#submitted-title', 'data-period')) === LOCKED_PERIOD, 'comparison of 2025-Q3');
    const cell = (col) => cp.textContent(`[data-indicator="mediation.received"][data-column="${col}"]`);
    const locked = parseCount(await cell('locked'));
    const now = parseCount(await cell('now'));
    check(locked > 0 && now === locked + 1, `mediation.received: locked ${locked}, now ${now}`);
    check((await cell('difference')).trim() === '+1', 'difference +1');
    const changed = cp.locator('#changed-records tbody tr');
    check((await changed.count()) === 1, 'one record changed since the lock');
    const shortId = await changed.first().getAttribute('data-record');
    check(/^[0-9a-f]{8}$/.test(shortId), `changed record shown by short id ${shortId}`);
    check((await cp.textContent('[data-key="mediation.received"] .effects')).includes(shortId),
      'the changed record explains mediation.received');
    const sub = await cp.evaluate(async ([u, p]) => {
      const r = await fetch(`/api/v1/reports/${u}/submitted?period=${p}`);
      return { status: r.status, body: await r.json() };
    }, [COMMUNE, LOCKED_PERIOD]);
    const rec = sub.body.records && sub.body.records[0];
    check(sub.status === 200 && rec && rec.short_id === shortId && rec.at_lock === 'absent',
      'API agrees: the record arrived after the lock');
    await shot(cp, 'submitted');
    await Promise.all([cp.waitForNavigation(), cp.click(`#changed-records tr[data-record="${shortId}"] a`)]);
    check((await cp.locator('#record').count()) === 1, 'the changed record opens for the commune officer');
    // A period before the new Phường Hòa Bình existed: its officer sees its predecessors —
    // old Phường Hoà Bình (11527, merged whole) with the case its team leader entered as
    // historical — and cannot lock their figures.
    await cp.goto(`${base}/dashboard?unit=${COMMUNE}&period=${PREDECESSOR_PERIOD}`);
    check((await cp.locator('#predecessors-note').count()) === 1, 'predecessor report says so');
    const oldRow = `#children-table tr[data-unit="${OLD_HOA_BINH}"]`;
    check((await cp.locator(oldRow).count()) === 1, 'old Phường Hoà Bình is a row');
    const oldReceived = parseCount(await cp.textContent(`${oldRow} [data-indicator="mediation.received"]`));
    check(oldReceived === 1, `its historical case counts (received ${oldReceived})`);
    check((await cp.locator('#lock-form').count()) === 0, 'a predecessor report cannot be locked');
    await shot(cp, 'predecessors');
    await cp.goto(`${base}/dashboard?unit=${OLD_HOA_BINH}&period=${PREDECESSOR_PERIOD}`);
    check((await cp.getAttribute('#unit-title', 'data-unit')) === OLD_HOA_BINH,
      'the whole predecessor opens on its own for the new commune\'s officer');
    await communeCtx.close();

    await cityView(browser, base);
    log(`PASS in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
  } finally {
    if (browser) await browser.close();
    demo.child.kill('SIGINT');
    rmSync(demo.dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`[browser] FAIL: ${e.stack || e}`);
  console.error(`[browser] screenshots so far in ${artifacts}`);
  process.exit(1);
});
