// The 1.5.x layer's own translations, checked in Node against a recording stand-in for
// VodUploader: what it hands the uploader (options, file options, the credentials the page gives,
// with the address's fields replaced) and what it answers the page. The layer in a real browser
// against vod-local is aliyun.test.mjs; this covers what those pages cannot see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../src/web/aliyun.js'), 'utf8');
const aliyunUpload = new Function(`${source}; return aliyunUpload;`)();

// Records what the layer asks of it, as VodUploader would take it.
class Recorder {
  constructor(options) {
    this.options = options;
    this.added = [];
    this.resumed = [];
    Recorder.last = this;
  }

  addFile(file, options) {
    if (file.size === 0) throw Object.assign(new Error('"e" is empty'), { name: 'VodUploadError', code: 'EmptyFile' });
    this.added.push({ file, options });
    return this.added.length - 1;
  }

  listFiles() {
    return this.added.map((a, index) => ({ index, size: a.file.size, loaded: 0, state: 'Ready', isImage: false }));
  }

  deleteFile() {}

  start() {}

  stop() {}

  resumeUploadWithToken(grant) {
    this.resumed.push(grant);
  }
}

const sdk = { VodUploader: Recorder, findCheckpoint: () => null };
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64');
const unb64 = (text) => JSON.parse(Buffer.from(text, 'base64').toString());
const file = (name, size = 10) => new File([new Uint8Array(size)], name);

async function ready(options = {}) {
  const { Vod } = aliyunUpload(() => sdk, '9.9.9');
  const vod = new Vod(options);
  await new Promise((r) => setTimeout(r, 0));
  return vod;
}

test('options: 1.5.x names and units become the uploader\'s, the ignored ones are left out', async () => {
  await ready({ partSize: 204800, parallel: 3, retryCount: 4, retryDuration: 3, timeout: 9000, region: 'cn-beijing', userId: '1', cname: true, localCheckpoint: true, enableUploadProgress: false, checkCrc64: false });
  const { options } = Recorder.last;
  assert.deepEqual(
    Object.fromEntries(Object.entries(options).filter(([, v]) => typeof v !== 'function')),
    { partSize: 204800, parallel: 3, retryCount: 4, retryDuration: 3000, timeout: 9000, region: 'cn-beijing', checkCrc64: false },
  );
  assert.equal(typeof options.getUploadAuth, 'function');
  assert.equal(typeof options.refreshUploadAuth, 'function');
});

test('paramData\'s Vod fields become file options; JSON that does not parse throws a named error', async () => {
  const vod = await ready();
  const data = JSON.stringify({ Vod: { Title: 't', Description: 'd', CateId: '12', Tags: 'a,b', TemplateGroupId: 'g', StorageLocation: 's', CoverURL: 'https://c/x.png', WorkflowId: 'w', UserData: '{"k":1}', ImageType: 'cover', ImageExt: 'png', Unknown: 1 } });
  assert.equal(vod.addFile(file('a.mp4'), null, null, null, data), true);
  assert.deepEqual(Recorder.last.added[0].options, {
    title: 't', description: 'd', cateId: 12, tags: 'a,b', templateGroupId: 'g', storageLocation: 's',
    coverUrl: 'https://c/x.png', workflowId: 'w', userData: { k: 1 }, imageType: 'cover',
  });
  for (const empty of ['', null, undefined, '{}']) assert.equal(vod.addFile(file(`e${empty}.mp4`), null, null, null, empty), true);
  assert.throws(() => vod.addFile(file('b.mp4'), null, null, null, '{"Vod": '), { name: 'VodUploadError', code: 'InvalidArgument' });
  assert.throws(() => vod.addFile(file('c.mp4'), null, null, null, '{"Vod": {"UserData": "{oops"}}'), { code: 'InvalidArgument' });
  assert.equal(vod.listFiles().length, 5, 'a file whose paramData throws is not listed');
});

test('addFile answers false for no File or one listed, and an empty file fails at once', async () => {
  const failed = [];
  const vod = await ready({ onUploadFailed: (info, code) => failed.push([info.file.name, code]) });
  const a = file('a.mp4');
  assert.equal(vod.addFile(a), true);
  assert.equal(vod.addFile(a), false);
  assert.equal(vod.addFile(null), false);
  assert.equal(vod.addFile({ name: 'x', size: 3 }), false);
  assert.equal(vod.addFile(file('e.mp4', 0)), true);
  assert.deepEqual(failed, [['e.mp4', 'EmptyFile']]);
  assert.deepEqual(vod.listFiles().map((i) => i.state), ['Ready', 'Failure']);
});

test('indexes are numbers or numeric strings; anything else names no file', async () => {
  const vod = await ready();
  for (const name of ['a', 'b', 'c']) vod.addFile(file(`${name}.mp4`));
  for (const bad of ['x', '', ' ', '1.5', -1, 3, null, undefined, {}]) assert.equal(vod.cancelFile(bad), false, String(bad));
  assert.equal(vod.cancelFile(' 1 '), true);
  assert.equal(vod.resumeFile(1), true);
  assert.equal(vod.deleteFile('0'), true);
  assert.deepEqual(vod.listFiles().map((i) => i.file.name), ['b.mp4', 'c.mp4']);
  assert.equal(vod.getVersion(), '9.9.9');
});

test('the page\'s credentials reach the uploader, with the address fields addFile gave in place', async () => {
  const vod = await ready({ onUploadstarted: () => {} });
  const a = file('a.mp4');
  vod.addFile(a, 'https://oss-cn-beijing.aliyuncs.com', '', 'custom/é.mp4');
  const asked = Recorder.last.options.getUploadAuth({ index: 0, size: 10, loaded: 0, state: 'Uploading' });
  const [info] = vod.listFiles();
  const auth = b64({ AccessKeyId: 'id', AccessKeySecret: 's', SecurityToken: 't', Expiration: '3600', Region: 'cn-beijing' });
  const address = b64({ Endpoint: 'https://oss-cn-shanghai.aliyuncs.com', Bucket: 'b', FileName: 'sv/1/a.mp4' });
  vod.setUploadAuthAndAddress(info, auth, address, 'v1');
  const grant = await asked;
  assert.equal(grant.UploadAuth, auth);
  assert.equal(grant.VideoId, 'v1');
  assert.deepEqual(unb64(grant.UploadAddress), { Endpoint: 'https://oss-cn-beijing.aliyuncs.com', Bucket: 'b', FileName: 'custom/é.mp4' });
  assert.equal(info.region, 'cn-beijing');
  assert.ok(!JSON.stringify(vod.listFiles()).includes('"s"'), 'no secret in the uploadInfo');
});

test('the resume calls hand the uploader an UploadAuth or an STS token', async () => {
  const vod = await ready();
  vod.addFile(file('a.mp4'));
  assert.throws(() => vod.resumeUploadWithAuth('x'), { code: 'NotExpired' });
  // The uploader asks again for a file that had credentials: onUploadTokenExpired's question.
  const options = Recorder.last.options;
  options.getUploadAuth({ index: 0 });
  const info = { index: 0, size: 10, loaded: 0, state: 'Uploading' };
  let asked = options.refreshUploadAuth(info);
  vod.resumeUploadWithToken('id', 'secret', 'token', '2030-01-01T00:00:00Z');
  const auth = unb64(await asked);
  assert.equal(auth.ExpireUTCTime, '2030-01-01T00:00:00Z');
  assert.ok(auth.Expiration > 0 && Number.isInteger(auth.Expiration));
  assert.deepEqual([auth.AccessKeyId, auth.AccessKeySecret, auth.SecurityToken], ['id', 'secret', 'token']);
  asked = options.refreshUploadAuth(info);
  vod.resumeUploadWithSTSToken('id2', 'secret2', 'token2');
  const token = await asked;
  assert.deepEqual([token.AccessKeyId, token.AccessKeySecret, token.SecurityToken], ['id2', 'secret2', 'token2']);
  assert.ok(Date.parse(token.Expiration) > Date.now(), 'an hour when the page gives no expiration');
});

test('before the SDK is ready, files wait and startUpload is remembered', async () => {
  let resolve;
  Recorder.last = null;
  const { Vod } = aliyunUpload(() => new Promise((r) => { resolve = r; }), '1.0.0');
  const seen = [];
  const vod = new Vod({ addFileSuccess: (info) => seen.push(info.file.name) });
  assert.equal(vod.addFile(file('early.mp4')), true);
  assert.deepEqual(seen, ['early.mp4'], 'addFileSuccess at once');
  vod.startUpload();
  assert.equal(vod.getCheckpoint(file('early.mp4')), '');
  let started = false;
  class Starting extends Recorder {
    start() { started = true; }
  }
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(Recorder.last?.added.length ?? 0, 0, 'nothing reached an uploader yet');
  resolve({ VodUploader: Starting, findCheckpoint: () => null });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(Recorder.last.added.length, 1);
  assert.equal(started, true);
});
