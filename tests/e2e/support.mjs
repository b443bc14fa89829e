// What every end-to-end test file shares: where vod-local is, launching Debian's Chromium, the
// test controls, and checks of what the server holds.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';

export const base = process.env.VOD_LOCAL_URL;
if (!base) throw new Error('VOD_LOCAL_URL is not set: run this through `cargo xtask test`');
// Pages must come from `localhost`: the buckets they upload to are `<bucket>.localhost`.
export const site = base.replace('127.0.0.1', 'localhost');
export const shots = join(dirname(fileURLToPath(import.meta.url)), '../../target/e2e');
mkdirSync(shots, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export const admin = (method, path, body) => adminAt(base, method, path, body);

// The test controls of the vod-local at `server`.
export async function adminAt(server, method, path, body) {
  const response = await fetch(`${server}/_admin/${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(response.ok, `${method} /_admin/${path}: ${response.status}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// Every setting of vod-local's test controls back to the server's start (faults, broken
// answers, holds, damage, policy, CORS rule, credential lifetime), whatever the last test did.
export const resetServer = (server = base) => adminAt(server, 'POST', 'reset');

// Holds requests at the server until released (see vod-local's `/_admin/hold`): `operation`
// such as 'upload-part', the first `after` of them let through, every later one held (or
// `count` of them). A test decides when an upload is mid-way instead of racing a stall.
export const hold = (operation, { after = 0, count } = {}, server = base) =>
  adminAt(server, 'POST', 'hold', { operation, after, count });

// Resolves once `waiting` requests are held at the server (and `held` were in all).
export const heldAt = (query, server = base) =>
  adminAt(server, 'GET', `hold?${new URLSearchParams(query)}`);

// Lets the oldest `count` held requests go on; the holds stay.
export const release = (count, server = base) => adminAt(server, 'POST', 'release', { count });

// No more holds. The held requests go on, or with `drop` their connections are reset unhandled:
// for requests whose page stopped, closed or reloaded, which must not be stored after all.
export const unhold = ({ drop = false } = {}, server = base) =>
  adminAt(server, 'DELETE', `hold${drop ? '?drop=true' : ''}`);

// The keys of the multipart uploads left open (of `key` only, when given). An Abort is sent
// without waiting for it: the server answers once none is open, or after a minute with those.
export async function openUploads(key, server = base) {
  const query = new URLSearchParams({ state: 'open', none: 'true', ...(key === undefined ? {} : { key }) });
  const { uploads } = await adminAt(server, 'GET', `uploads?${query}`);
  return uploads.map((u) => u.key);
}

export const md5 = (buffer) => createHash('md5').update(buffer).digest('hex');

// The objects the server holds with these very bytes.
export async function stored(buffer) {
  const { objects } = await admin('GET', 'objects');
  return objects.filter((o) => o.md5 === md5(buffer) && o.size === buffer.length);
}

export async function assertStored(...buffers) {
  for (const buffer of buffers) assert.ok((await stored(buffer)).length > 0, 'the server holds the same bytes');
}

// One browser for a test file and a fresh 1280 px page for each test, with vod-local's test
// controls back to the server's start first; `use(page, dialogs)` receives them. `dialogs` collects the
// page's alerts and uncaught errors, which a test expects to stay empty.
export function freshPages(use) {
  let browser;
  let page;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    await resetServer();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const dialogs = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    page.on('pageerror', (error) => dialogs.push(`page error: ${error.message}`));
    use(page, dialogs);
  });
  afterEach(async () => {
    await page?.close();
  });
}
