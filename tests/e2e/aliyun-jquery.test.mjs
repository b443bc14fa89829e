// A PC site's upload page as they were written for aliyun-upload-sdk 1.5.x
// (www/aliyun-jquery.html): synchronous XHR for credentials, `this` in callbacks, options changed
// after construction, the list read from `_uploadList`, a delete button that stops and then
// deletes, 1.5.x's own resume record read back, a new uploader for each replaced video. Then the
// script tag beside the scripts such pages also load. Every scenario checks the bytes vod-local
// stored and that no multipart upload is left open.
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertStored, heldAt, hold, md5, openUploads, shots, site, stored, unhold } from './support.mjs';
import { file, legacyPages } from './legacy.mjs';

const t = legacyPages();
const { events, until, states, assertClean, assertNothingLeftBehind } = t;
let page;
beforeEach(() => {
  page = t.page;
});

const MIB = 1024 * 1024;
const here = dirname(fileURLToPath(import.meta.url));

async function open() {
  await page.goto(`${site}/aliyun-jquery.html`);
}

// The fields 1.5.x hands onUploadSucceed.
const SUCCEED_FIELDS = ['bucket', 'checkpoint', 'endpoint', 'file', 'fileHash', 'isImage', 'loaded', 'object', 'region',
  'retry', 'ri', 'state', 'userData', 'videoId', 'videoInfo'];

test('two files: credentials by synchronous XHR, this in callbacks, options changed after construction', async () => {
  await open();
  const files = [file('lesson-1.mp4', 2 * MIB + 11), file('lesson-2.mp4', MIB - 3)];
  await page.setInputFiles('#fileUpload', files);
  assert.equal(await page.locator('#fileList tr').count(), 2, 'the page drew its list from _uploadList');
  await page.click('#authUpload');
  await until('onUploadEnd');
  assert.deepEqual(await states(), ['Success', 'Success']);
  // The callback the page put in after construction, and onUploadEnd once, after the last file.
  const kinds = (await events()).map((e) => e.kind).filter((k) => k !== 'onUploadProgress');
  assert.deepEqual(kinds.slice(0, 2), ['addFileSuccess', 'addFileSuccess']);
  assert.deepEqual(kinds.slice(2, -1).sort(), ['onUploadSucceed', 'onUploadSucceed', 'onUploadstarted', 'onUploadstarted']);
  assert.equal(kinds.at(-1), 'onUploadEnd');
  // `this` was the options object: it read the region 1.5.x wrote in for '' and set `loading`.
  assert.deepEqual((await events('onUploadstarted')).map((e) => e.text), ['cn-shanghai', 'cn-shanghai']);
  const options = await page.evaluate(() => {
    const o = window.uploader.options;
    return { loading: o.loading, userId: o.userId, partSize: o.partSize, parallel: o.parallel, region: o.region };
  });
  assert.deepEqual(options, { loading: false, userId: '1303984639806000', partSize: 1048576, parallel: '2', region: 'cn-shanghai' });
  const succeeded = await events('onUploadSucceed');
  for (const e of succeeded) {
    assert.deepEqual(SUCCEED_FIELDS.filter((k) => !e.keys.includes(k)), [], `fields missing in ${e.name}`);
    assert.match(e.videoId, /^[0-9a-f]{32}$/);
  }
  const hashes = await page.evaluate(() => window.uploader._uploadList.map((i) => i.fileHash));
  assert.deepEqual(hashes, files.map((f) => md5(f.buffer.subarray(0, MIB))), 'fileHash: the MD5 of the first MiB');
  assert.equal(await page.locator('#fileList tr[data-state="Success"]').count(), 2);
  assert.equal(await page.textContent('#status'), 'All uploads done.');
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('upload_'))), [],
    '1.5.x\'s record goes once the upload is done');
  await assertStored(...files.map((f) => f.buffer));
  await assertClean();
  await assertNothingLeftBehind();
  await page.screenshot({ path: join(shots, 'aliyun-jquery.png'), fullPage: true });
  assert.deepEqual(t.consoleErrors, []);
});

test('the delete button stops, then deletes, mid-upload: that upload is aborted and the next completes', async () => {
  await open();
  await hold('upload-part', { after: 1 });
  const [a, b] = [file('a.mp4', 6 * MIB), file('b.mp4', MIB + 1)];
  await page.setInputFiles('#fileUpload', [a, b]);
  await page.click('#authUpload');
  await heldAt({ waiting: 1 });
  await page.locator('#fileList button.delete').first().click();
  await unhold({ drop: true });
  await until('onUploadEnd');
  assert.deepEqual(await page.evaluate(() => window.uploader._uploadList.map((i) => [i.file.name, i.state])), [['b.mp4', 'Success']]);
  await assertStored(b.buffer);
  assert.deepEqual(await stored(a.buffer), [], 'the deleted file was not completed');
  await assertClean();
  assert.deepEqual(t.consoleErrors, []);
});

test('emptying _uploadList mid-upload takes the files out: their uploads are aborted', async () => {
  await open();
  await hold('upload-part', { after: 1 });
  const [a, c] = [file('cleared.mp4', 6 * MIB), file('after.mp4', MIB)];
  await page.setInputFiles('#fileUpload', [a]);
  await page.click('#authUpload');
  await heldAt({ waiting: 1 });
  await page.click('#clearList');
  await unhold({ drop: true });
  await page.setInputFiles('#fileUpload', [c]);
  await page.click('#authUpload');
  await until('onUploadSucceed');
  assert.deepEqual(await page.evaluate(() => window.uploader.listFiles().map((i) => i.file.name)), ['after.mp4']);
  assert.deepEqual((await events('onUploadSucceed')).map((e) => e.name), ['after.mp4']);
  await assertStored(c.buffer);
  assert.deepEqual(await stored(a.buffer), []);
  await assertClean();
});

test('after a reload the page reads 1.5.x\'s record and refreshes the same video; the upload resumes', async () => {
  await open();
  await hold('upload-part', { after: 2 });
  const a = file('reload.mp4', 8 * MIB);
  const folder = mkdtempSync(join(tmpdir(), 'vod-upload-jquery-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const path = join(folder, a.name);
  writeFileSync(path, a.buffer);
  await page.setInputFiles('#fileUpload', [path]);
  await page.click('#authUpload');
  await heldAt({ waiting: 1 });
  await until('onUploadProgress', 2);
  const { videoId, record } = await page.evaluate(() => {
    const f = window.uploader._uploadList[0].file;
    return {
      videoId: window.uploader._uploadList[0].videoId,
      record: JSON.parse(localStorage.getItem(`upload_${f.lastModified}_${f.name}_${f.size}`)),
    };
  });
  assert.equal(record.videoId, videoId);
  assert.deepEqual(Object.keys(record).sort(), ['bucket', 'endpoint', 'fileName', 'lastModified', 'loaded', 'object', 'size', 'state', 'videoId']);
  assert.ok(record.loaded > 0 && record.loaded < 1, JSON.stringify(record));
  await page.reload();
  await unhold({ drop: true });
  const asked = [];
  page.on('request', (r) => r.url().includes('/api/') && asked.push(new URL(r.url()).pathname));
  await page.setInputFiles('#fileUpload', [path]);
  await page.click('#authUpload');
  await until('onUploadSucceed');
  assert.deepEqual(asked, ['/api/refresh-upload-auth'], 'the page refreshed the video it had');
  assert.equal((await events('onUploadSucceed'))[0].videoId, videoId);
  await assertStored(a.buffer);
  await assertClean();
  await assertNothingLeftBehind();
});

test('a new uploader for each video after stopping the old one; two uploaders upload at once', async () => {
  await open();
  const [a, b] = [file('first.mp4', MIB + 5), file('second.mp4', 2 * MIB)];
  await page.setInputFiles('#replace', [a]);
  await until('onUploadSucceed');
  await page.setInputFiles('#replace', [b]);
  await until('onUploadSucceed', 2);
  assert.deepEqual((await events('onUploadSucceed')).map((e) => e.name), ['first.mp4', 'second.mp4']);
  // Two uploaders alive at once: each holds a part at the server before either goes on.
  const [c, d] = [file('c.mp4', 3 * MIB), file('d.mp4', 3 * MIB)];
  await hold('upload-part');
  await page.evaluate(([one, two]) => {
    const bytes = (text) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
    for (const [name, data] of [one, two]) {
      const uploader = window.createUploader();
      uploader.addFile(new File([bytes(data)], name, { type: 'video/mp4' }));
      uploader.startUpload();
    }
  }, [[c.name, c.buffer.toString('base64')], [d.name, d.buffer.toString('base64')]]);
  await heldAt({ waiting: 2 });
  await unhold();
  await until('onUploadSucceed', 4);
  await assertStored(a.buffer, b.buffer, c.buffer, d.buffer);
  await assertClean();
  assert.deepEqual(t.consoleErrors, []);
});

test('the tag beside es6-promise and aliyun-oss-sdk, in either order: both globals work, OSS stays theirs', async () => {
  const theirs = [
    join(here, 'node_modules/es6-promise/dist/es6-promise.auto.min.js'),
    // ali-oss's browser build, from the interop tests' packages.
    join(here, '../interop/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js'),
  ].map((p) => readFileSync(p, 'utf8'));
  for (const oursFirst of [true, false]) {
    await page.goto(`${site}/blank.html`);
    const ours = () => page.addScriptTag({ url: '/dist/vod-upload.js' });
    if (oursFirst) await ours();
    for (const content of theirs) await page.addScriptTag({ content });
    await page.evaluate(() => { window.theirOSS = window.OSS; });
    if (!oursFirst) await ours();
    const a = file(`beside-${oursFirst}.mp4`, MIB + 9);
    const seen = await page.evaluate(async ([name, data]) => {
      const globals = {
        oss: typeof OSS === 'function' && window.OSS === window.theirOSS,
        same: AliyunUpload === window.AliyunUpload,
        promise: typeof Promise.resolve().then,
      };
      const file = new File([Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0))], name);
      const done = await new Promise((resolve) => {
        const uploader = new AliyunUpload.Vod({
          vodEndpoint: `${location.origin}/vod`,
          onUploadstarted(info) {
            fetch('/api/upload-auth', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ title: name, fileName: name, fileSize: file.size }),
            }).then((r) => r.json()).then((answer) => {
              uploader.setUploadAuthAndAddress(info, answer.UploadAuth, answer.UploadAddress, answer.VideoId);
            });
          },
          onUploadSucceed: (info) => resolve(info.state),
          onUploadFailed: (info, code) => resolve(code),
        });
        uploader.addFile(file);
        uploader.startUpload();
      });
      return { ...globals, done };
    }, [a.name, a.buffer.toString('base64')]);
    assert.deepEqual(seen, { oss: true, same: true, promise: 'function', done: 'Success' }, `ours first: ${oursFirst}`);
    await assertStored(a.buffer);
  }
  assert.deepEqual(await openUploads(), [], 'multipart uploads left open');
  assert.deepEqual(t.consoleErrors, []);
});
