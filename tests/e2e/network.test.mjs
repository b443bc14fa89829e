// The SDK riding out the network and the clock in Debian's Chromium, against vod-local: the
// browser going offline, a connection that turns cellular, credentials that live 5 seconds,
// resets and a stalled part, a fatal error. The page is a bare one holding the npm package's
// web build (tests/e2e/lab.js), served from loopback by a server the test starts and stops;
// files are real files on disk. Every test checks that progress
// never went back and that no multipart upload is left open.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, launch, md5, site } from './support.mjs';

const labSource = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'lab.js'), 'utf8');
const labPage = `<!doctype html><html data-site="${site}"><title>lab</title><input type="file" id="file">
<script type="module">${labSource}</script></html>`;
const MIB = 1024 * 1024;

let browser;
let context;
let page;
let files;
let labServer;
let labUrl;

before(async () => {
  browser = await launch();
  files = mkdtempSync(join(tmpdir(), 'vod-upload-e2e-'));
  labServer = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(labPage);
  });
  await new Promise((resolve) => labServer.listen(0, '127.0.0.1', resolve));
  labUrl = `http://localhost:${labServer.address().port}/`;
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => labServer?.close(resolve));
  rmSync(files, { recursive: true, force: true });
});

beforeEach(async () => {
  await admin('DELETE', 'faults');
  await admin('POST', 'token-ttl', { seconds: 3000 });
  context = await browser.newContext();
});

afterEach(async () => {
  await admin('DELETE', 'faults');
  await admin('POST', 'token-ttl', { seconds: 3000 });
  await context?.close();
});

// The bare page with a file input and the lab; `init` runs before any script of the page (to
// give it a navigator.connection of its own).
async function openLab(options, init) {
  page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (init) await page.addInitScript(init);
  await page.goto(labUrl);
  await page.waitForFunction(() => window.lab !== undefined);
  await page.evaluate((o) => window.lab.create(o), options);
  return errors;
}

// A real file on disk of `size` random bytes, picked through the input and added.
async function addFile(name, size) {
  const buffer = randomBytes(size);
  const path = join(files, name);
  writeFileSync(path, buffer);
  await page.setInputFiles('#file', path);
  await page.evaluate(() => window.lab.add());
  return buffer;
}

const events = () => page.evaluate(() => window.lab.events);
const state = () => page.evaluate(() => window.lab.uploader.listFiles()[0].state);

async function until(kind, count = 1, timeout = 60000) {
  await page.waitForFunction(([k, n]) => window.lab.count(k) >= n, [kind, count], { timeout, polling: 50 });
}

// The object key the page's file goes to.
const keyOf = () => page.evaluate(() => window.lab.uploader.listFiles()[0].object);

async function objectOf() {
  const key = await keyOf();
  const { objects } = await admin('GET', 'objects');
  return objects.find((o) => o.key === key);
}

// What the server counted for the file's multipart uploads, for the closing note.
async function counted() {
  const key = await keyOf();
  const uploads = (await admin('GET', 'uploads')).uploads.filter((u) => u.key === key);
  const parts = uploads.flatMap((u) => u.parts);
  return {
    uploads: uploads.map((u) => u.state),
    parts: parts.length,
    received: parts.reduce((s, p) => s + p.received, 0),
    stored: parts.reduce((s, p) => s + p.stored, 0),
    storedTwice: parts.filter((p) => p.stored > 1).length,
  };
}

async function assertProgressNeverWentBack() {
  let last = 0;
  for (const e of (await events()).filter((e) => e.kind === 'progress')) {
    assert.ok(e.loaded >= last, `progress went back from ${last} to ${e.loaded}`);
    last = e.loaded;
  }
}

async function assertNoOpenUpload() {
  // An Abort is sent without waiting for it: give it a moment.
  for (let i = 0; i < 50; i += 1) {
    const { uploads } = await admin('GET', 'uploads?state=open');
    if (uploads.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { uploads } = await admin('GET', 'uploads?state=open');
  assert.deepEqual(uploads.map((u) => u.key), [], 'multipart uploads left open');
}

async function assertArrived(name, buffer) {
  const object = await objectOf();
  assert.ok(object, `no object for ${name}`);
  assert.equal(object.md5, md5(buffer), `${name} arrived changed`);
  const count = await counted();
  assert.equal(count.storedTwice, 0, `a part was stored twice: ${JSON.stringify(count)}`);
  console.log(`# ${name}: ${JSON.stringify(count)}`);
  return count;
}

test('offline for 10 s mid-upload: the file waits, then goes on and arrives intact', async () => {
  const errors = await openLab({ partSize: MIB, parallel: 2 });
  // Slow parts, so that the network surely drops mid-upload.
  await admin('POST', 'faults', { action: 'stall', ms: 400, fraction: 1 });
  const buffer = await addFile('offline 10s.mp4', 8 * MIB);
  await page.evaluate(() => window.lab.uploader.start());
  await until('progress', 2);
  await context.setOffline(true);
  await until('retry');
  assert.equal(await state(), 'Waiting');
  const waiting = await events();
  assert.deepEqual(waiting.filter((e) => e.kind === 'retry').map((e) => e.rest[0]), ['NetworkOffline']);
  const requestsOffline = (await counted()).received;
  await page.waitForTimeout(10000);
  assert.equal((await counted()).received, requestsOffline, 'parts were sent while offline');
  assert.equal(await state(), 'Waiting');
  await admin('DELETE', 'faults');
  const back = Date.now();
  await context.setOffline(false);
  await until('retryResume');
  const resumed = (await events()).find((e) => e.kind === 'retryResume');
  assert.ok(resumed.at - back < 1000, `went on ${resumed.at - back} ms after the network came back`);
  await until('succeed');
  const all = await events();
  assert.equal(all.filter((e) => e.kind === 'retry').length, 1, 'no retry was used up');
  assert.equal(all.filter((e) => e.kind === 'failed').length, 0);
  await assertArrived('offline 10s.mp4', buffer);
  await assertProgressNeverWentBack();
  await assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('pauseOnCellular: a connection that turns cellular makes the upload wait until Wi-Fi', async () => {
  // Desktop Chromium reports no connection type: the page gets a navigator.connection of its
  // own, which the test switches. Everything else is real.
  const errors = await openLab({ partSize: MIB, parallel: 2, pauseOnCellular: true }, () => {
    const connection = new EventTarget();
    connection.type = 'wifi';
    Object.defineProperty(Navigator.prototype, 'connection', { get: () => connection, configurable: true });
    window.switchConnection = (type) => {
      connection.type = type;
      connection.dispatchEvent(new Event('change'));
    };
  });
  await admin('POST', 'faults', { action: 'stall', ms: 400, fraction: 1 });
  const buffer = await addFile('cellular.mp4', 6 * MIB);
  await page.evaluate(() => window.lab.uploader.start());
  await until('progress', 1);
  await page.evaluate(() => window.switchConnection('cellular'));
  await until('retry');
  assert.equal(await state(), 'Waiting');
  const retry = (await events()).find((e) => e.kind === 'retry');
  assert.equal(retry.rest[0], 'CellularNetwork');
  await page.waitForTimeout(1500);
  const onCellular = (await counted()).received;
  await page.waitForTimeout(2000);
  assert.equal((await counted()).received, onCellular, 'parts were sent over cellular');
  await admin('DELETE', 'faults');
  await page.evaluate(() => window.switchConnection('wifi'));
  await until('succeed');
  assert.equal(await page.evaluate(() => window.lab.count('retryResume')), 1);
  await assertArrived('cellular.mp4', buffer);
  await assertProgressNeverWentBack();
  await assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('credentials living 5 s on an upload of over 20 s refresh by themselves', async () => {
  const errors = await openLab({ partSize: 100 * 1024, parallel: 2, refresh: true });
  await admin('POST', 'token-ttl', { seconds: 5 });
  await admin('POST', 'faults', { action: 'stall', ms: 1500, fraction: 1 });
  const before = (await admin('GET', 'counters')).refreshes;
  const buffer = await addFile('refreshing.mp4', 3 * MIB);
  const started = Date.now();
  await page.evaluate(() => window.lab.uploader.start());
  await until('succeed', 1, 120000);
  const took = Date.now() - started;
  assert.ok(took > 20000, `the upload took only ${took} ms`);
  const refreshes = (await admin('GET', 'counters')).refreshes - before;
  assert.ok(refreshes >= 4, `${refreshes} refreshes`);
  assert.equal(await page.evaluate(() => window.lab.count('expired')), 0);
  const count = await assertArrived('refreshing.mp4', buffer);
  // No part was aborted by a refresh: every part that reached the server was stored, once.
  assert.equal(count.received, count.parts, JSON.stringify(count));
  assert.equal(count.stored, count.parts, JSON.stringify(count));
  console.log(`# refreshing.mp4: ${took} ms, ${refreshes} refreshes`);
  await assertProgressNeverWentBack();
  await assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('20 % of parts reset and one stalled past the time-out: the upload still succeeds', async () => {
  const errors = await openLab({ partSize: 100 * 1024, parallel: 3, timeout: 3000, retryCount: 5, retryDuration: 200 });
  await admin('POST', 'faults', [
    { action: 'stall', ms: 8000, count: 1 },
    { action: 'reset', fraction: 0.2 },
  ]);
  const buffer = await addFile('resets.mp4', 2 * MIB);
  await page.evaluate(() => window.lab.uploader.start());
  await until('succeed', 1, 120000);
  const codes = (await events()).filter((e) => e.kind === 'retry').map((e) => e.rest[0]);
  assert.ok(codes.includes('Timeout'), codes.join());
  const count = await assertArrived('resets.mp4', buffer);
  // Chromium sends a request again by itself when a reused connection is reset before any
  // answer, so most resets never reach the page; the server counts every one.
  assert.ok(count.received - count.stored >= 4, `the server saw ${count.received} part requests for ${count.stored} stored: ${codes.join()}`);
  console.log(`# resets.mp4: retries seen by the page: ${codes.join()}`);
  await assertProgressNeverWentBack();
  await assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('a fatal error mid-upload fails the file with its code and leaves no open upload', async () => {
  const errors = await openLab({ partSize: MIB, parallel: 2 });
  await admin('POST', 'faults', { action: 'stall', ms: 300, fraction: 1 });
  await addFile('denied.mp4', 8 * MIB);
  await page.evaluate(() => window.lab.uploader.start());
  await until('progress', 2);
  await admin('POST', 'faults', { action: 'fail', status: 403, count: 1 });
  await until('failed');
  const failed = (await events()).find((e) => e.kind === 'failed');
  assert.equal(failed.rest[0], 'AccessDenied');
  assert.equal(await state(), 'Failure');
  await assertNoOpenUpload();
  const count = await counted();
  assert.deepEqual(count.uploads, ['aborted']);
  console.log(`# denied.mp4: ${JSON.stringify(count)}`);
  await assertProgressNeverWentBack();
  assert.deepEqual(errors, []);
});
