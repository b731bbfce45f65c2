import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUNDLES, tempDir } from '../helpers/paths.js';

// Debian's chromium, installed by scripts/install-debian-deps.sh; playwright-core never downloads one
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const work = tempDir('xfbench-html-');
const runA = path.join(work, 'clip');
const runB = path.join(work, 'xformer');
const report = path.join(work, 'report.html');
let browser: Browser;

function lines(dir: string): Array<{ id: string; scores: Record<string, number> }> {
  return readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  for (const [dir, bundle] of [
    [runA, BUNDLES.clip],
    [runB, BUNDLES.xformer],
  ] as const) {
    const r = runCli(['run', 'gqa', '--model', bundle, '--limit', '300', '--out', dir, '--device', 'cpu', '--json']);
    expect(r.status, r.stderr).toBe(0);
  }
  const r = runCli(['report', runA, runB, '--format', 'html', '--output', report, '--json']);
  expect(r.status, r.stderr).toBe(0);
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-debian-deps.sh`).toBe(true);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => browser?.close());

describe('the HTML report in a real browser', () => {
  it('shows charts with intervals, Δ against the baseline, and a gallery whose filters work, with no console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    // nothing may be fetched: every request but the file itself is a failure
    const requests: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('file://') && !req.url().startsWith('data:')) requests.push(req.url());
    });
    await page.goto(`file://${report}`);

    expect(await page.locator('figure.chart svg').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('figure.chart .whisker').count()).toBeGreaterThan(10);
    expect(await page.locator('figure.chart text', { hasText: /^Δ [+-]?\d/ }).count()).toBeGreaterThan(5);
    const cards = page.locator('#cards .card');
    const total = await cards.count();
    expect(total).toBeGreaterThan(0);
    expect(await page.locator('#cards img.thumb').count()).toBe(total);
    expect(
      await page
        .locator('#cards img.thumb')
        .first()
        .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
    ).toBe(true);

    // the discordant filter shows exactly the questions the clip bundle got wrong and X-Former right
    const a = new Map(lines(runA).map((l) => [l.id, l.scores['correct']]));
    const fixed = lines(runB).filter((l) => a.get(l.id) === 0 && l.scores['correct'] === 1).length;
    await page.selectOption('#f-kind', 'a-wrong-b-right');
    expect(await page.locator('#cards .card:visible').count()).toBe(Math.min(fixed, total));
    expect(await page.textContent('#shown')).toBe(String(Math.min(fixed, total)));
    await page.fill('#f-text', 'zzzz-no-such-text');
    expect(await page.locator('#cards .card:visible').count()).toBe(0);
    await page.fill('#f-text', '');
    await page.selectOption('#f-kind', '');
    expect(await page.locator('#cards .card:visible').count()).toBe(total);

    const shot = path.join(work, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('renders one run with a chart per category family and its provenance', async () => {
    const single = path.join(work, 'single.html');
    expect(runCli(['report', runB, '--format', 'html', '--output', single]).status).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${single}`);
    const captions = await page.locator('figcaption').allTextContents();
    expect(captions).toEqual(expect.arrayContaining(['gqa.accuracy by structural type', 'gqa.accuracy by semantic type']));
    expect(await page.locator('#provenance td').first().textContent()).toBe('xf-tiny-xformer');
    await page.close();
  });
});
