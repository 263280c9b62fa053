// The console in a real browser (Debian's Chromium through playwright-core)
// against a live `responder serve` that run.sh started: sign in with the
// printed link, filter the incidents, approve one through its form, watch
// its execution finish and open a state. Screenshots go to artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const BASE = process.env.CONSOLE_URL;
const TOKEN = process.env.CONSOLE_TOKEN;
const SHOTS = new URL('./artifacts/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

let browser;
let page;

before(async () => {
  assert.ok(BASE && TOKEN, 'run through run.sh: CONSOLE_URL and CONSOLE_TOKEN');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
});

after(async () => {
  await browser?.close();
});

const shot = (name) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

test('the console wants the printed link', async () => {
  const answer = await page.goto(`${BASE}/console/incidents`);
  assert.equal(answer.status(), 401);
  await page.goto(`${BASE}/console/login?token=${TOKEN}`);
  assert.match(page.url(), /\/console\/incidents$/);
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
});

test('the incidents list filters by status', async () => {
  await page.selectOption('select[name=status]', 'PENDING_APPROVAL');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('table.incidents a').first().waitFor();
  assert.equal(await page.locator('table.incidents tbody tr').count(), 1);
  await shot('incidents');
  await page.selectOption('select[name=status]', 'RESOLVED');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No incident matches.').waitFor();
});

test('an incident waiting for approval shows its analysis and evidence', async () => {
  await page.goto(`${BASE}/console/incidents?status=PENDING_APPROVAL`);
  await page.locator('table.incidents a').first().click();
  await page.getByText('Waiting for approval').waitFor();
  assert.ok(await page.getByText('PaymentGatewayError').first().isVisible(), 'the evidence is on the page');
  assert.ok(await page.locator('p.evidence span.source', { hasText: '/aws/lambda/checkout-api' }).first().isVisible(), 'each quote names its log group');
  await shot('incident-pending');
});

test('the incident page draws the metric against its threshold and tables the history', async () => {
  // Inline SVG: no script, nothing fetched; the breaching datapoint marked.
  const chart = page.locator('svg.metric-chart');
  await chart.waitFor();
  assert.equal(await chart.locator('line.threshold').count(), 1);
  assert.ok((await chart.locator('circle.datapoint.breach').count()) >= 1, 'the breach is marked');
  assert.match(await chart.locator('title').first().textContent(), /Errors \(Sum, 60 s\) against threshold 5/);
  const box = await chart.boundingBox();
  assert.ok(box && box.width > 300 && box.height > 100, 'the chart is drawn at a readable size');
  await chart.screenshot({ path: `${SHOTS}incident-metric.png` });
  const history = page.locator('table.history');
  assert.ok(await history.isVisible(), 'the history is a table');
  assert.ok((await history.locator('tbody tr').count()) >= 1);
  assert.ok(await history.getByText('Reverted the route table change').isVisible());
});

test('the pending incident is approved through its form', async () => {
  await page.locator('form.approve input[name=comment]').fill('seen it, go ahead');
  await page.locator('form.approve button').click();
  // The engine moves on when the decision wakes it.
  for (let i = 0; i < 50 && !(await page.getByText('NOTIFIED').first().isVisible()); i += 1) {
    await page.waitForTimeout(200);
    await page.reload();
  }
  await page.getByText('NOTIFIED').first().waitFor();
  assert.ok(await page.getByRole('cell', { name: 'console' }).isVisible(), 'the audit trail names the console');
  await shot('incident-notified');
});

test('the execution is drawn finished, and a state shows its input and output', async () => {
  await page.locator('a[href^="/console/executions/"]').first().click();
  await page.locator('svg.state-machine').waitFor();
  for (let i = 0; i < 50 && (await page.locator('#execution-facts').getAttribute('data-status')) === 'RUNNING'; i += 1) {
    await page.waitForTimeout(200);
  }
  assert.equal(await page.locator('#execution-facts').getAttribute('data-status'), 'SUCCEEDED');
  assert.equal(await page.locator('g.state.succeeded[data-state="Analyze"]').count(), 1);
  assert.equal(await page.locator('g.state.not-run[data-state="Suppress"]').count(), 1);
  await page.locator('g.state[data-state="Analyze"]').click();
  await page.locator('#state-details h2', { hasText: 'Analyze' }).waitFor();
  assert.ok(await page.locator('#state-details').getByText('output').first().isVisible());
  await shot('execution');
});
