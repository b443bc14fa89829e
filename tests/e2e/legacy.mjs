// What the tests of pages written for aliyun-upload-sdk 1.5.x share: a fresh browser context per
// test whose requests must all go to vod-local, the secrets the page's backend handed out, and
// checks of the page's events, its list and what the server holds. The pages keep their events
// in `window.events` ({ kind, name, state, videoId, object, … }) and their uploader in
// `window.uploader`.
import { after, afterEach, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { admin, launch, openUploads, resetServer, site } from './support.mjs';

export function file(name, size, mimeType = 'video/mp4') {
  return { name, mimeType, buffer: randomBytes(size) };
}

// Registers the hooks; `t.page` is the test's page once it runs.
export function legacyPages() {
  let browser;
  let context;
  const hosts = new Set();
  const t = { page: null, consoleErrors: [], secrets: [] };

  before(async () => {
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    assert.deepEqual([...hosts], [new URL(site).host], 'requests went to another host');
  });

  beforeEach(async () => {
    await resetServer();
    context = await browser.newContext();
    const page = await context.newPage();
    t.page = page;
    t.consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && t.consoleErrors.push(m.text()));
    page.on('pageerror', (e) => t.consoleErrors.push(`page error: ${e.message}`));
    // The Worker's blob: script never leaves the browser.
    page.on('request', (r) => {
      if (!r.url().startsWith('blob:')) hosts.add(new URL(r.url()).host.replace(/^[^.]+\.localhost/, 'localhost'));
    });
    // Every secret the page's backend handed out, to look for where it must never be.
    t.secrets = [];
    page.on('response', async (r) => {
      if (!new URL(r.url()).pathname.startsWith('/api/')) return;
      const answer = await r.json().catch(() => ({}));
      const auth = answer.UploadAuth ? JSON.parse(Buffer.from(answer.UploadAuth, 'base64').toString()) : answer;
      t.secrets.push(auth.AccessKeySecret, auth.SecurityToken);
    });
  });

  afterEach(async () => {
    await context?.close();
  });

  t.events = (kind) => t.page.evaluate((k) => window.events.filter((e) => !k || e.kind === k), kind);

  t.until = async (kind, count = 1, timeout = 60000) => {
    await t.page.waitForFunction(([k, n]) => window.events.filter((e) => e.kind === k).length >= n, [kind, count], { timeout });
  };

  t.states = () => t.page.evaluate(() => window.uploader.listFiles().map((i) => i.state));

  // The multipart uploads of every object the page's files went to, as the server counts them.
  t.uploadsOfPage = async () => {
    const keys = await t.page.evaluate(() => window.events.map((e) => e.object)
      .concat(window.uploader.listFiles().map((i) => i.object)).filter(Boolean));
    const { uploads } = await admin('GET', 'uploads');
    return uploads.filter((u) => keys.includes(u.key));
  };

  // None of them is left open; no part the server acknowledged was stored twice.
  t.assertClean = async () => {
    for (const key of new Set((await t.uploadsOfPage()).map((u) => u.key))) {
      assert.deepEqual(await openUploads(key), [], 'multipart uploads left open');
    }
    const twice = (await t.uploadsOfPage()).flatMap((u) => u.parts).filter((p) => p.stored > 1);
    assert.deepEqual(twice, [], 'a part was stored twice');
  };

  // What 1.5.x left behind and this SDK must not: globals, cookies, an unload handler; and no
  // secret in the list, the callbacks' uploadInfo or the browser's storage.
  t.assertNothingLeftBehind = async () => {
    const seen = await t.page.evaluate(() => ({
      oss: typeof window.OSS,
      cookie: document.cookie,
      unload: window.onbeforeunload,
      text: JSON.stringify({ list: window.uploader.listFiles(), events: window.events, storage: { ...localStorage } }),
    }));
    assert.equal(seen.oss, 'undefined');
    assert.equal(seen.cookie, '');
    assert.equal(seen.unload, null);
    const known = t.secrets.filter(Boolean);
    assert.ok(known.length > 0, 'the backend handed out secrets');
    for (const secret of known) assert.ok(!seen.text.includes(secret), 'a secret reached the list, a callback or storage');
  };

  // Holds the page's requests to `url` (a glob) until the returned function is called.
  t.holdRoute = async (url) => {
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    await t.page.route(url, async (route) => {
      await released;
      await route.continue();
    });
    return release;
  };

  return t;
}
