// A page written against aliyun-upload-sdk 1.5.x's API (www/aliyun.html, which loads only the
// SDK's script tag and makes `new AliyunUpload.Vod` as it loads) in Chromium. Each scenario checks
// the bytes vod-local stored and that no multipart upload is left open; every request of every
// scenario must go to vod-local (which serves the page too), and nowhere else.
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admin, assertStored, base, heldAt, hold, shots, site, stored, unhold } from './support.mjs';
import { file, legacyPages } from './legacy.mjs';

const t = legacyPages();
const { events, until, states, uploadsOfPage, assertClean, assertNothingLeftBehind, holdRoute } = t;
let page;
beforeEach(() => {
  page = t.page;
});

const MIB = 1024 * 1024;

async function open(query = '') {
  await page.goto(`${site}/aliyun.html${query}`);
}

async function pick(files) {
  await page.setInputFiles('#files', files);
}

test('several files upload with credentials fetched in onUploadstarted, in the order added', async () => {
  await open();
  const files = [file('one.mp4', 2 * MIB + 5), file('two.mp4', 300 * 1024), file('three.mp4', 3 * MIB)];
  await pick(files);
  assert.deepEqual(await states(), ['Ready', 'Ready', 'Ready']);
  await page.click('#start');
  await until('onUploadEnd');
  assert.deepEqual(await states(), ['Success', 'Success', 'Success']);
  const started = (await events('onUploadstarted')).map((e) => e.name);
  assert.deepEqual(started, ['one.mp4', 'two.mp4', 'three.mp4']);
  const infos = await page.evaluate(() => window.uploader.listFiles().map((i) => ({
    videoId: i.videoId, loaded: i.loaded, bucket: i.bucket, object: i.object, endpoint: i.endpoint, isImage: i.isImage,
  })));
  for (const info of infos) {
    assert.match(info.videoId, /^[0-9a-f]{32}$/);
    assert.equal(info.loaded, 1);
    assert.equal(info.isImage, false);
    assert.ok(info.bucket && info.object && info.endpoint.startsWith('http'), JSON.stringify(info));
  }
  await assertStored(...files.map((f) => f.buffer));
  await assertClean();
  const progress = await events('onUploadProgress');
  assert.ok(progress.length >= 3);
  await assertNothingLeftBehind();
  await page.screenshot({ path: join(shots, 'aliyun-three-files.png'), fullPage: true });
  assert.deepEqual(t.consoleErrors, []);
});

test('startUpload inside addFileSuccess, before the SDK is ready, uploads once it is', async () => {
  // The wasm is held until the test lets it go, so the uploader is made and the file added
  // before it is there.
  const wasm = await holdRoute('**/vod-upload_bg.wasm');
  await page.goto(`${site}/aliyun.html?auto=1`, { waitUntil: 'domcontentloaded' });
  const a = file('early.mp4', MIB + 77);
  await pick([a, file('empty.mp4', 0)]);
  const before = await page.evaluate(() => ({
    ready: window.events.map((e) => e.kind),
    added: window.uploader.addFile(window.uploader.listFiles()[0].file),
    nothing: window.uploader.addFile(null),
    version: window.uploader.getVersion(),
  }));
  assert.deepEqual(before.ready, ['addFileSuccess', 'addFileSuccess'], 'addFileSuccess fired at once');
  assert.equal(before.added, false, 'a File already listed');
  assert.equal(before.nothing, false, 'no file');
  assert.match(before.version, /^\d+\.\d+\.\d+/);
  wasm();
  await until('onUploadSucceed');
  // The empty file, refused once the SDK could look at it.
  const failed = await events('onUploadFailed');
  assert.deepEqual(failed.map((e) => [e.name, e.text.split(':')[0]]), [['empty.mp4', 'EmptyFile']]);
  assert.deepEqual(await states(), ['Success', 'Failure']);
  await assertStored(a.buffer);
  await assertClean();
  assert.deepEqual(t.consoleErrors, []);
});

test('cleanList inside onUploadEnd empties the list; an empty file fails with EmptyFile', async () => {
  await open('?clean=1');
  const a = file('clean.mp4', 1500 * 1024);
  await pick([a, file('empty.mp4', 0)]);
  const failed = await events('onUploadFailed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].name, 'empty.mp4');
  assert.match(failed[0].text, /^EmptyFile: /);
  await page.click('#start');
  await until('onUploadEnd');
  assert.deepEqual(await states(), []);
  await assertStored(a.buffer);
  await assertClean();
});

test('stopUpload then startUpload goes on without sending an acknowledged part again', async () => {
  await open();
  await hold('upload-part', { after: 2 });
  const a = file('stop.mp4', 8 * MIB);
  await pick([a]);
  await page.click('#start');
  await until('onUploadProgress', 2);
  await heldAt({ waiting: 1 });
  await page.click('#stop');
  const canceled = await events('onUploadCanceled');
  assert.equal(canceled.length, 1);
  assert.equal(canceled[0].state, 'Stoped');
  assert.deepEqual(await states(), ['Stoped']);
  const half = (await page.evaluate(() => window.uploader.listFiles()[0].loaded));
  assert.ok(half > 0 && half < 1, `${half}`);
  await unhold({ drop: true });
  await page.click('#start');
  await until('onUploadSucceed');
  assert.equal((await events('onUploadstarted')).length, 1, 'the credentials were kept');
  await assertStored(a.buffer);
  await assertClean();
});

test('stopUpload while the credentials are awaited; the late answer is kept for startUpload', async () => {
  // The page's backend answers only once the test lets it, after the stop.
  const answer = await holdRoute('**/api/upload-auth');
  await open();
  const a = file('awaited.mp4', 2 * MIB);
  await pick([a]);
  await page.click('#start');
  await until('onUploadstarted');
  await page.click('#stop');
  assert.deepEqual(await states(), ['Stoped']);
  assert.equal((await events('onUploadCanceled')).length, 1);
  // The answer arrives after the stop. Once the page has handed it over, and the task that did
  // is done, the file is still stopped: the SDK decides to send, or not, as it takes an answer.
  await page.evaluate(() => {
    const { uploader } = window;
    const grant = uploader.setUploadAuthAndAddress.bind(uploader);
    uploader.setUploadAuthAndAddress = (...args) => {
      grant(...args);
      window.granted = true;
    };
  });
  answer();
  await page.waitForFunction(() => window.granted);
  assert.deepEqual(await states(), ['Stoped']);
  assert.deepEqual(await stored(a.buffer), []);
  await page.click('#start');
  await until('onUploadSucceed');
  assert.equal((await events('onUploadstarted')).length, 1, 'the late answer was used');
  await assertStored(a.buffer);
  await assertClean();
});

test('a file that failed starts over with startUpload', async () => {
  await open();
  await admin('POST', 'faults', { action: 'fail', status: 403, count: 1 });
  const a = file('fails.mp4', 3 * MIB);
  await pick([a]);
  await page.click('#start');
  await until('onUploadFailed');
  assert.match((await events('onUploadFailed'))[0].text, /^AccessDenied: /);
  assert.deepEqual(await states(), ['Failure']);
  await page.click('#start');
  await until('onUploadSucceed');
  assert.deepEqual(await states(), ['Success']);
  assert.equal((await events('onUploadstarted')).length, 2, 'a new upload, with new credentials');
  await assertStored(a.buffer);
  await assertClean();
});

// Credentials that live 8 s: the SDK asks for new ones ahead of their expiry (at half their
// life), in onUploadTokenExpired, while the parts wait at the server, so the upload outlives
// them; the held parts were signed with credentials that still live 4 s when they go on.
async function outlive(query, name) {
  await admin('POST', 'token-ttl', { seconds: 8 });
  await hold('upload-part');
  await open(query);
  const a = file(name, 16 * MIB);
  await pick([a]);
  await page.click('#start');
  await heldAt({ waiting: 1 });
  await until('onUploadTokenExpired', 1, 30000);
  await unhold();
  await until('onUploadEnd', 1, 90000);
  return a;
}

test('expiry recovered with resumeUploadWithAuth: the same video, nothing sent twice', async () => {
  const a = await outlive('', 'expiry.mp4');
  const [first] = await events('onUploadstarted');
  const done = (await events('onUploadSucceed'))[0];
  assert.ok(done, 'succeeded');
  assert.equal(done.videoId, (await page.evaluate(() => window.uploader.listFiles()[0].videoId)));
  assert.equal((await uploadsOfPage()).length, 1, 'one multipart upload');
  assert.equal(first.name, 'expiry.mp4');
  await assertStored(a.buffer);
  await assertClean();
});

test('expiry recovered with setUploadAuthAndAddress and a new video: the old upload is aborted', async () => {
  const a = await outlive('?expiry=new-video', 'new-video.mp4');
  const expired = (await events('onUploadTokenExpired'))[0];
  const done = (await events('onUploadSucceed'))[0];
  assert.ok(done, 'succeeded');
  assert.notEqual(done.videoId, expired.videoId, 'it went into the new video');
  // Each expiry made a new video (the new credentials live 8 s too, so a slow run sees more than
  // one, and the last may come too late to be used): every upload but the last was aborted, and
  // the last completed.
  const expiries = (await events('onUploadTokenExpired')).length;
  const states = (await uploadsOfPage()).map((u) => u.state).sort();
  const aborted = states.length - 1;
  assert.ok(aborted >= 1 && aborted <= expiries, `${expiries} expiries: ${states}`);
  assert.deepEqual(states, [...Array(aborted).fill('aborted'), 'completed']);
  await assertStored(a.buffer);
  await assertClean();
});

// Calls VOD's OpenAPI as a server would: signed with an STS token vod-local minted.
async function vod(action, params) {
  const token = await (await fetch(`${base}/api/sts-token`, { method: 'POST' })).json();
  const all = {
    Action: action, Format: 'JSON', Version: '2017-03-21', AccessKeyId: token.AccessKeyId,
    SecurityToken: token.SecurityToken, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
    SignatureNonce: randomUUID(), Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...params,
  };
  const encode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = Object.keys(all).sort().map((k) => `${encode(k)}=${encode(all[k])}`).join('&');
  const signature = createHmac('sha1', `${token.AccessKeySecret}&`).update(`GET&%2F&${encode(query)}`).digest('base64');
  const response = await fetch(`${base}/vod/?${query}&Signature=${encode(signature)}`);
  return response.json();
}

test('STS mode by setSTSToken sends paramData\'s metadata to VOD', async () => {
  await open();
  await page.selectOption('#mode', 'sts');
  await page.fill('#title', 'Compat — été');
  const a = file('sts.mp4', 2 * MIB);
  await pick([a]);
  await page.click('#start');
  await until('onUploadEnd');
  const done = (await events('onUploadSucceed'))[0];
  assert.ok(done, 'succeeded');
  const info = await vod('GetVideoInfo', { VideoId: done.videoId });
  assert.equal(info.Video.Title, 'Compat — été', JSON.stringify(info));
  assert.equal(info.Video.Description, 'from a 1.5.x page');
  assert.equal(info.Video.CateId, '7');
  assert.equal(info.Video.Tags, 'compat,page');
  await assertNothingLeftBehind();
  await assertStored(a.buffer);
  await assertClean();
});

test('an image goes up as an image, with its ImageId', async () => {
  await open();
  const image = file('cover.png', 200 * 1024, 'image/png');
  await pick([image]);
  assert.equal(await page.evaluate(() => window.uploader.listFiles()[0].isImage), true);
  await page.click('#start');
  await until('onUploadSucceed');
  const info = await page.evaluate(() => window.uploader.listFiles()[0]);
  assert.ok(info.imageId, JSON.stringify(info));
  assert.equal(info.videoId, '');
  await assertStored(image.buffer);
  await assertClean();
});

test('cancelFile, resumeFile and deleteFile take string indexes', async () => {
  await open();
  await hold('upload-part', { after: 1 });
  const [a, b, c] = [file('a.mp4', 6 * MIB), file('b.mp4', MIB + 1), file('c.mp4', 700 * 1024)];
  await pick([a, b, c]);
  assert.equal(await page.evaluate(() => window.uploader.cancelFile('1')), true);
  assert.equal(await page.evaluate(() => window.uploader.cancelFile('x')), false);
  await page.click('#start');
  await until('onUploadProgress', 1);
  // a is under way: canceled, its upload aborted.
  assert.equal(await page.evaluate(() => window.uploader.cancelFile('0')), true);
  assert.equal((await events('onUploadCanceled')).length, 1);
  assert.deepEqual((await states()).slice(0, 2), ['Canceled', 'Canceled']);
  await unhold({ drop: true });
  await until('onUploadSucceed', 1);
  assert.equal(await page.evaluate(() => window.uploader.resumeFile('1')), true);
  assert.equal(await page.evaluate(() => window.uploader.resumeFile('1')), false);
  assert.equal((await states())[1], 'Ready');
  await page.evaluate(() => window.uploader.startUpload());
  await until('onUploadSucceed', 2);
  assert.equal(await page.evaluate(() => window.uploader.deleteFile('0')), true);
  assert.deepEqual(await states(), ['Success', 'Success']);
  assert.deepEqual((await events('onUploadSucceed')).map((e) => e.name).sort(), ['b.mp4', 'c.mp4']);
  await assertStored(b.buffer, c.buffer);
  assert.deepEqual(await stored(a.buffer), [], 'the canceled file was not completed');
  await assertClean();
});

test('getCheckpoint after a reload tells where the upload is, and it resumes in the same video', async () => {
  await open();
  await hold('upload-part', { after: 2 });
  const a = file('reload.mp4', 8 * MIB);
  // A file on disk: the same name, size and date when it is picked again.
  const folder = mkdtempSync(join(tmpdir(), 'vod-upload-aliyun-'));
  const path = join(folder, a.name);
  writeFileSync(path, a.buffer);
  after(() => rmSync(folder, { recursive: true, force: true }));
  await pick([path]);
  await page.click('#start');
  await until('onUploadProgress', 2);
  const videoId = await page.evaluate(() => window.uploader.listFiles()[0].videoId);
  await page.reload();
  await unhold({ drop: true });
  await page.waitForFunction(() => window.VodUpload && window.uploader);
  await page.evaluate(() => window.VodUpload.ready.then(() => true));
  await pick([path]);
  const checkpoint = await page.evaluate(() => window.uploader.getCheckpoint(window.uploader.listFiles()[0].file));
  assert.equal(checkpoint.videoId, videoId);
  assert.equal(checkpoint.fileName, 'reload.mp4');
  assert.equal(checkpoint.size, a.buffer.length);
  assert.ok(checkpoint.loaded > 0 && checkpoint.loaded < 1, JSON.stringify(checkpoint));
  assert.ok(checkpoint.bucket && checkpoint.object && checkpoint.endpoint);
  await page.click('#start');
  await until('onUploadSucceed');
  const started = await events('onUploadstarted');
  assert.equal(started[0].videoId, videoId, 'onUploadstarted told the videoId to refresh');
  assert.equal((await events('onUploadSucceed'))[0].videoId, videoId);
  assert.equal(await page.evaluate(() => window.uploader.getCheckpoint(window.uploader.listFiles()[0].file)), '');
  await assertNothingLeftBehind();
  await assertStored(a.buffer);
  await assertClean();
});

test('a callback that throws is reported on the console and the upload goes on', async () => {
  await open('?throw=onUploadProgress');
  const a = file('throws.mp4', 3 * MIB);
  await pick([a]);
  await page.click('#start');
  await until('onUploadSucceed');
  assert.ok(t.consoleErrors.some((e) => e.includes('onUploadProgress threw; the upload goes on')), t.consoleErrors.join('\n'));
  await assertStored(a.buffer);
  await assertClean();
});
