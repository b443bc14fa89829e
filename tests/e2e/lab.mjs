// The test side of the lab page (lab.js): a bare page with a file input and one uploader,
// served from loopback by a server this starts and stops, pointed at a vod-local; files are
// real files on disk. network.test.mjs and resume.test.mjs drive it in Chromium, through
// Playwright; engines.test.mjs in Firefox and WebKit, over WebDriver (engines.mjs).
import { after, afterEach, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage } from './engines.mjs';
import { adminAt, base, hold, launch, md5, openUploads, unhold } from './support.mjs';

const labSource = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'lab.js'), 'utf8');
const labPage = `<!doctype html><title>lab</title><input type="file" id="file">
<script type="module">${labSource}</script>`;

export const MIB = 1024 * 1024;

// Registers the hooks a lab test file needs: a browser and the page's server for the file, a
// fresh browser context (so fresh storage) for each test, `reset` of the server around each.
export function useLab(reset) {
  const lab = new Lab();
  before(() => lab.launch());
  after(() => lab.shutdown());
  beforeEach(async () => {
    await reset();
    lab.context = await lab.browser.newContext();
  });
  afterEach(async () => {
    await reset();
    await lab.context?.close();
  });
  return lab;
}

export class Lab {
  // In Chromium through Playwright, or in `engine` ('firefox', 'webkit') over WebDriver, each
  // page a session of its own (so fresh storage), closed by `closePage`.
  constructor(engine) {
    this.engine = engine;
  }

  // Starts the browser, the page's server and a folder for the test files.
  async launch() {
    if (!this.engine) this.browser = await launch();
    this.files = mkdtempSync(join(tmpdir(), 'vod-upload-e2e-'));
    this.server = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(labPage);
    });
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://localhost:${this.server.address().port}/`;
    this.base = base;
  }

  async shutdown() {
    await this.browser?.close();
    await new Promise((resolve) => this.server?.close(resolve));
    rmSync(this.files, { recursive: true, force: true });
  }

  admin(method, path, body) {
    return adminAt(this.base, method, path, body);
  }

  // Opens the page in this test's context against the vod-local at `server` and makes its
  // uploader; `init` runs before any script of the page (in Chromium only). Returns the page's
  // errors, as they come (in Chromium; WebDriver does not tell them).
  async open(options, { init, server = base } = {}) {
    this.base = server;
    const errors = [];
    if (this.engine) {
      if (init) throw new Error('a script before the page\'s own needs Playwright');
      this.page = await openPage(this.engine);
    } else {
      this.page = await this.context.newPage();
      this.page.on('pageerror', (e) => errors.push(e.message));
      if (init) await this.page.addInitScript(init);
    }
    const site = server.replace('127.0.0.1', 'localhost');
    await this.page.goto(`${this.url}?site=${encodeURIComponent(site)}`);
    await this.page.waitForFunction(() => window.lab !== undefined);
    await this.page.evaluate((o) => window.lab.create(o), options);
    return errors;
  }

  // The page loaded again, and its uploader made again with `options`.
  async reload(options) {
    await this.page.reload();
    await this.page.waitForFunction(() => window.lab !== undefined);
    await this.page.evaluate((o) => window.lab.create(o), options);
  }

  // Closes a page over WebDriver: its session ends with it.
  async closePage() {
    if (this.engine) await this.page?.close();
    this.page = null;
  }

  // Uploads three parts of a file while the server holds the later ones, interrupts the page
  // with `interrupt`, picks the same file again and uploads the rest; checks what the server
  // counted on both sides.
  async interruptAndResume(options, name, interrupt) {
    const errors = await this.open(options);
    await hold('upload-part', { after: 3 }, this.base);
    const { buffer } = await this.addFile(name, 8 * MIB);
    await this.start();
    await this.until('progress', 3);
    const first = await this.info();
    assert.equal((await this.checkpoints()).length, 1);
    await interrupt();
    const before = await this.counted(first.object);
    await unhold({ drop: true }, this.base);
    const again = await this.pick(this.path(name));
    assert.equal(again.state, 'Ready');
    assert.ok(again.resumed, 'the file comes back resumable');
    assert.ok(again.loaded > 0, 'with the progress it had');
    assert.equal(again.videoId, first.videoId);
    await this.start();
    await this.until('succeed');
    const done = await this.info();
    assert.equal(done.videoId, first.videoId, 'the same video');
    const after = await this.assertArrived(name, buffer);
    // Every part the server had stored before the interruption was not sent again.
    for (const [number, part] of Object.entries(before.perPart)) {
      if (part.stored > 0) {
        assert.equal(after.perPart[number].received, part.received, `part ${number} was sent again`);
      }
    }
    console.log(`# ${name}: VideoId ${first.videoId} before and ${done.videoId} after; part requests received before ${before.received} (stored ${before.stored}), after ${after.received} (stored ${after.stored}), of ${after.parts} parts`);
    assert.deepEqual(await this.checkpoints(), [], 'the checkpoint goes on success');
    await this.assertNoSecretStored();
    await this.assertNoOpenUpload();
    assert.deepEqual(errors, []);
  }

  // Writes `content` (or that many random bytes) to a file on disk, picks it through the
  // input and adds it; returns the bytes and the file's info.
  async addFile(name, content) {
    const buffer = typeof content === 'number' ? randomBytes(content) : content;
    const path = join(this.files, name);
    writeFileSync(path, buffer);
    return { buffer, info: await this.pick(path) };
  }

  // Picks a file already on disk and adds it; returns its info.
  async pick(path) {
    await this.page.setInputFiles('#file', path);
    return this.page.evaluate(() => {
      const index = window.lab.add();
      return window.lab.uploader.listFiles().find((f) => f.index === index);
    });
  }

  path(name) {
    return join(this.files, name);
  }

  start() {
    return this.page.evaluate(() => window.lab.uploader.start());
  }

  events() {
    return this.page.evaluate(() => window.lab.events);
  }

  info() {
    return this.page.evaluate(() => {
      const { file, options, ...info } = window.lab.uploader.listFiles()[0];
      return info;
    });
  }

  async state() {
    return (await this.info()).state;
  }

  async until(kind, count = 1, timeout = 60000) {
    await this.page.waitForFunction(([k, n]) => window.lab.count(k) >= n, [kind, count], { timeout, polling: 50 });
  }

  count(kind) {
    return this.page.evaluate((k) => window.lab.count(k), kind);
  }

  // What the server counted for the multipart uploads of `key` (default: the page's file).
  async counted(key) {
    const target = key ?? (await this.info()).object;
    const uploads = (await this.admin('GET', 'uploads')).uploads.filter((u) => u.key === target);
    const parts = uploads.flatMap((u) => u.parts);
    return {
      uploads: uploads.map((u) => u.state),
      parts: parts.length,
      received: parts.reduce((s, p) => s + p.received, 0),
      stored: parts.reduce((s, p) => s + p.stored, 0),
      storedTwice: parts.filter((p) => p.stored > 1).length,
      perPart: Object.fromEntries(parts.map((p) => [p.partNumber, { received: p.received, stored: p.stored }])),
    };
  }

  async assertProgressNeverWentBack() {
    let last = 0;
    for (const e of (await this.events()).filter((e) => e.kind === 'progress')) {
      assert.ok(e.loaded >= last, `progress went back from ${last} to ${e.loaded}`);
      last = e.loaded;
    }
  }

  // No multipart upload is left open (of `key` only, when given).
  async assertNoOpenUpload(key) {
    assert.deepEqual(await openUploads(key, this.base), [], 'multipart uploads left open');
  }

  // The page's file arrived byte for byte, no part stored twice; what the server counted.
  async assertArrived(name, buffer) {
    const { object: key } = await this.info();
    const { objects } = await this.admin('GET', 'objects');
    const object = objects.find((o) => o.key === key);
    assert.ok(object, `no object for ${name}`);
    assert.equal(object.md5, md5(buffer), `${name} arrived changed`);
    const count = await this.counted(key);
    assert.equal(count.storedTwice, 0, `a part was stored twice: ${JSON.stringify(count)}`);
    console.log(`# ${name}: ${JSON.stringify({ ...count, perPart: undefined })}`);
    return count;
  }

  // No secret the backend handed out is anywhere in the page's storage.
  async assertNoSecretStored() {
    const { secrets, stored } = await this.page.evaluate(() => ({
      secrets: window.lab.secrets,
      stored: Object.entries(localStorage).flat().join('\n'),
    }));
    assert.ok(secrets.length > 0, 'the backend handed out credentials');
    for (const secret of secrets) assert.ok(!stored.includes(secret), 'a secret is in localStorage');
  }

  checkpoints() {
    return this.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('vod-upload:checkpoint:')));
  }
}
