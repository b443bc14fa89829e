// The scenarios that matter most, in Firefox and in WebKit (Safari's engine), over WebDriver
// (engines.mjs): the script tag in both credential modes, under a strict Content-Security-Policy
// with and without the Worker, with a part damaged on the way; resume after a reload into the
// same VideoId (the lab page); both 1.5.x pages, with stop and start and with credentials that
// expire mid-upload; and one file of 4.5 GiB from disk, byte for byte (Safari's engine has
// failed on files of 4 GB and more in another uploader). Every test's name begins with its
// engine, and the script-tag page's screenshot after success is saved per engine under
// target/e2e/.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, openPage } from './engines.mjs';
import { Lab, MIB } from './lab.mjs';
import { admin, assertStored, heldAt, hold, md5, openUploads, resetServer, shots, site, stored, unhold } from './support.mjs';

// What a page that allows nothing but its own scripts and WebAssembly needs (as pages.test.mjs).
const STRICT = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${site.replace('//', '//*.')}`;

let files;
before(() => {
  files = mkdtempSync(join(tmpdir(), 'vod-upload-engines-'));
});
after(() => rmSync(files, { recursive: true, force: true }));

// A file of `size` random bytes on disk.
function onDisk(name, size) {
  const buffer = randomBytes(size);
  const path = join(files, name);
  writeFileSync(path, buffer);
  return { name, path, buffer };
}

// One file of 4.5 GiB of random bytes on disk, written once for every engine: past 4 GiB, so
// that any 32-bit size or offset would show. Written and hashed a piece at a time, as it cannot
// be held whole.
const BIG = 4.5 * 1024 * MIB;
let big;
function bigFile() {
  if (big) return big;
  const path = join(files, 'big.mp4');
  const hash = createHash('md5');
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < BIG; written += 64 * MIB) {
      const piece = randomBytes(Math.min(64 * MIB, BIG - written));
      hash.update(piece);
      writeSync(fd, piece);
    }
  } finally {
    closeSync(fd);
  }
  big = { path, md5: hash.digest('hex') };
  return big;
}

// No part of the objects `keys` went to is left open or was stored twice.
async function assertClean(keys) {
  const { uploads } = await admin('GET', 'uploads');
  const ours = uploads.filter((u) => keys.includes(u.key));
  for (const key of keys) assert.deepEqual(await openUploads(key), [], 'multipart uploads left open');
  assert.deepEqual(ours.flatMap((u) => u.parts).filter((p) => p.stored > 1), [], 'a part was stored twice');
  return ours;
}

for (const engine of ENGINES) {
  describe(engine, () => {
    let page;
    beforeEach(async () => {
      await resetServer();
    });
    afterEach(async () => {
      await page?.close();
      page = null;
      await resetServer();
    });

    // The script-tag page at `query` uploads a file of `size` bytes; resolves to its bytes.
    async function scriptTag(query, name, size = 1500 * 1024) {
      page = await openPage(engine);
      await page.goto(`${site}/script-tag.html${query}`);
      await page.waitForText(/Pick a file\./);
      const file = onDisk(name, size);
      await page.setInputFiles('#file', file.path);
      const text = await page.waitForText(new RegExp(`uploaded ${name.replace('.', '\\.')} as VideoId [0-9a-f]{32}|failed: `));
      assert.doesNotMatch(text, /failed: /);
      await assertStored(file.buffer);
      return file;
    }

    // The paths the page requested on its own thread (its resource timing): the credentials'
    // and VOD's; the parts go from the worker.
    const requested = () => page.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => new URL(e.name).pathname));

    test(`${engine}: the script tag uploads with the backend's UploadAuth`, async () => {
      await scriptTag('', 'tag.mp4');
      const paths = await requested();
      assert.ok(paths.includes('/api/upload-auth'), paths.join(' '));
      assert.ok(!paths.some((p) => p.startsWith('/vod')), paths.join(' '));
      await page.screenshot({ path: join(shots, `${engine}-script-tag.png`) });
    });

    test(`${engine}: the script tag uploads in STS mode, asking VOD itself`, async () => {
      await scriptTag('?sts', 'tag-sts.mp4');
      const paths = await requested();
      assert.ok(paths.includes('/api/sts-token') && paths.some((p) => p.startsWith('/vod')), paths.join(' '));
      assert.ok(!paths.includes('/api/upload-auth'), paths.join(' '));
    });

    test(`${engine}: under a strict Content-Security-Policy, with workers allowed`, async () => {
      await admin('POST', 'csp', { policy: `${STRICT}; worker-src blob:` });
      await scriptTag('', 'csp.mp4');
    });

    test(`${engine}: under a strict Content-Security-Policy that forbids workers`, async () => {
      await admin('POST', 'csp', { policy: `${STRICT}; worker-src 'none'` });
      await scriptTag('', 'csp-no-worker.mp4');
    });

    test(`${engine}: a part damaged on the way is found by its CRC-64 and sent again`, async () => {
      await admin('POST', 'damage-parts', { count: 1 });
      const file = await scriptTag('', 'damaged.mp4', 3 * MIB);
      const [{ key }] = await stored(file.buffer);
      assert.deepEqual(await openUploads(key), [], 'multipart uploads left open');
      // The damaged part was stored, found out by its CRC-64 and sent again. (A busy machine may
      // send another again after a time-out: that one is not counted.)
      const { uploads } = await admin('GET', 'uploads');
      const parts = uploads.filter((u) => u.key === key).flatMap((u) => u.parts);
      assert.equal(parts.filter((p) => p.stored === 2).length, 1, JSON.stringify(parts));
    });

    test(`${engine}: a reload mid-upload resumes into the same VideoId, nothing sent twice`, async () => {
      const lab = new Lab(engine);
      await lab.launch();
      try {
        const options = { partSize: MIB, parallel: 2, retryCount: 6, retryDuration: 300 };
        await lab.interruptAndResume(options, 'reloaded.mp4', () => lab.reload(options));
      } finally {
        await lab.closePage();
        await lab.shutdown();
      }
    });

    test(`${engine}: a file of 4.5 GiB arrives byte for byte`, { timeout: 30 * 60000 }, async () => {
      const { path, md5 } = bigFile();
      const lab = new Lab(engine);
      await lab.launch();
      try {
        // vod-local assembles the object on disk at Complete (4.5 GiB copied and synced, where
        // OSS only links its parts), which on a busy machine outlasts the default 60 s time
        // limit; the limit here is not what this test is about.
        await lab.open({ partSize: 32 * MIB, parallel: 3, timeout: 15 * 60000 });
        const began = Date.now();
        const info = await lab.pick(path);
        assert.equal(info.size, BIG);
        await lab.start();
        await lab.until('end', 1, 30 * 60000);
        const seconds = (Date.now() - began) / 1000;
        assert.deepEqual((await lab.events()).filter((e) => e.kind === 'failed'), []);
        const { object } = await lab.info();
        const { objects } = await admin('GET', 'objects');
        const stored = objects.find((o) => o.key === object);
        assert.ok(stored, 'no object');
        assert.equal(stored.size, BIG);
        assert.equal(stored.md5, md5, 'the object is not the file');
        const count = await lab.counted(object);
        assert.equal(count.storedTwice, 0);
        await lab.assertNoOpenUpload();
        console.log(`# ${engine}: 4.5 GiB in ${count.parts} parts, ${count.received} part requests, in ${seconds.toFixed(0)} s (${(BIG / MIB / seconds).toFixed(0)} MiB/s)`);
      } finally {
        await lab.closePage();
        await lab.shutdown();
      }
    });

    // A 1.5.x page with `picked` files, told to start; its events and list in the page. By
    // default www/aliyun.html; `jquery`: www/aliyun-jquery.html, as PC sites wrote theirs.
    async function legacy(query, picked, { jquery = false } = {}) {
      page = await openPage(engine);
      await page.goto(`${site}/${jquery ? 'aliyun-jquery' : 'aliyun'}.html${query}`);
      await page.setInputFiles(jquery ? '#fileUpload' : '#files', picked.map((f) => f.path));
      await page.click(jquery ? '#authUpload' : '#start');
    }
    const events = (kind) => page.evaluate((k) => window.events.filter((e) => e.kind === k), kind);
    const until = (kind, count = 1, timeout = 90000) =>
      page.waitForFunction(([k, n]) => window.events.filter((e) => e.kind === k).length >= n, [kind, count], { timeout });
    const states = () => page.evaluate(() => window.uploader.listFiles().map((i) => i.state));
    const objects = () => page.evaluate(() => window.uploader.listFiles().map((i) => i.object));

    test(`${engine}: a 1.5.x page uploads two files`, async () => {
      const picked = [onDisk('one.mp4', 2 * MIB + 5), onDisk('two.mp4', 300 * 1024)];
      await legacy('', picked);
      await until('onUploadEnd');
      assert.deepEqual(await states(), ['Success', 'Success']);
      await assertStored(...picked.map((f) => f.buffer));
      await assertClean(await objects());
    });

    test(`${engine}: a jQuery-era 1.5.x page uploads two files, credentials by synchronous XHR`, async () => {
      const picked = [onDisk('lesson-1.mp4', 2 * MIB + 11), onDisk('lesson-2.mp4', MIB - 3)];
      await legacy('', picked, { jquery: true });
      await until('onUploadEnd');
      assert.deepEqual(await states(), ['Success', 'Success']);
      const hashes = await page.evaluate(() => window.uploader._uploadList.map((i) => i.fileHash));
      assert.deepEqual(hashes, picked.map((f) => md5(f.buffer.subarray(0, MIB))), 'fileHash: the MD5 of the first MiB');
      await assertStored(...picked.map((f) => f.buffer));
      await assertClean(await objects());
    });

    test(`${engine}: a 1.5.x page's stopUpload and startUpload send no acknowledged part again`, async () => {
      await hold('upload-part', { after: 2 });
      const picked = [onDisk('stop.mp4', 8 * MIB)];
      await legacy('', picked);
      await until('onUploadProgress', 2);
      await heldAt({ waiting: 1 });
      await page.click('#stop');
      assert.deepEqual(await states(), ['Stoped']);
      await unhold({ drop: true });
      await page.click('#start');
      await until('onUploadSucceed');
      assert.equal((await events('onUploadstarted')).length, 1, 'the credentials were kept');
      await assertStored(picked[0].buffer);
      await assertClean(await objects());
    });

    // As aliyun.test.mjs's: credentials that live 8 s are renewed in onUploadTokenExpired
    // while the parts wait at the server, and the upload outlives them.
    test(`${engine}: a 1.5.x page's credentials expire mid-upload and it resumes in the same video`, async () => {
      await admin('POST', 'token-ttl', { seconds: 8 });
      await hold('upload-part');
      const picked = [onDisk('expiry.mp4', 16 * MIB)];
      await legacy('', picked);
      await heldAt({ waiting: 1 });
      await until('onUploadTokenExpired', 1, 30000);
      await unhold();
      await until('onUploadEnd');
      const [done] = await events('onUploadSucceed');
      assert.ok(done, 'succeeded');
      assert.equal((await events('onUploadstarted')).length, 1, 'one video');
      await assertStored(picked[0].buffer);
      const uploads = await assertClean(await objects());
      assert.equal(uploads.length, 1, 'one multipart upload');
    });
  });
}
