// The 1.5.x layer's own translations, checked in Node against a recording stand-in for
// VodUploader and the SDK's real `aliyun*` functions (the wasm of the npm package): what it hands
// the uploader (options, file options, the credentials the page gives, with the address's fields
// replaced) and what it answers the page, habits of real 1.5.x pages included. The layer in a
// real browser against vod-local is aliyun.test.mjs and aliyun-jquery.test.mjs; this covers what
// those pages cannot see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as wasm from '../../pkg/vod_upload.js';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, '../../src/web/aliyun.js'), 'utf8');
const aliyunUpload = new Function(`${source}; return aliyunUpload;`)();
wasm.initSync({ module: readFileSync(join(here, '../../pkg/vod_upload_bg.wasm')) });

// Records what the layer asks of it, as VodUploader would take it.
class Recorder {
  constructor(options) {
    if (Recorder.refuse) throw Object.assign(new Error(Recorder.refuse), { name: 'VodUploadError', code: 'InvalidArgument' });
    this.options = options;
    this.added = [];
    this.deleted = [];
    this.resumed = [];
    Recorder.last = this;
    Recorder.made?.(this);
  }

  addFile(file, options) {
    if (file.size === 0) throw Object.assign(new Error('"e" is empty'), { name: 'VodUploadError', code: 'EmptyFile' });
    this.added.push({ file, options });
    return this.added.length - 1;
  }

  listFiles() {
    return this.added.map((a, index) => ({ index, size: a.file.size, loaded: 0, state: 'Ready', isImage: /\.png$/.test(a.file.name) }))
      .filter((info) => !this.deleted.includes(info.index));
  }

  deleteFile(index) {
    this.deleted.push(index);
  }

  start() {}

  stop() {}

  resumeUploadWithToken(grant) {
    this.resumed.push(grant);
  }
}

const sdk = { ...wasm, VodUploader: Recorder, findCheckpoint: () => null };
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64');
const unb64 = (text) => JSON.parse(Buffer.from(text, 'base64').toString());
const file = (name, size = 10) => new File([new Uint8Array(size)], name);
// Every test waits for what the layer does, never for a time; this only turns a wait that
// never ends into a failure.
const guard = { timeout: 60_000 };

// Resolves once the layer has made its uploader (or, with `refuse`, tried to).
const uploaderMade = () => new Promise((resolve) => { Recorder.made = resolve; });

// Resolves with the value the layer assigns to `object[name]`, when it does.
function assigned(object, name) {
  return new Promise((resolve) => {
    Object.defineProperty(object, name, {
      configurable: true,
      set(value) {
        Object.defineProperty(object, name, { value, writable: true, enumerable: true, configurable: true });
        resolve(value);
      },
    });
  });
}

// A layer whose SDK arrives only when the test hands it over: `handOver` resolves, once the
// layer asks for the SDK, with the function that hands it over.
function heldLayer(version) {
  let asked;
  const handOver = new Promise((resolve) => { asked = resolve; });
  const layer = aliyunUpload(() => new Promise((resolve) => asked(resolve)), version);
  return { ...layer, handOver };
}

// A layer whose uploader is made, with the page's `options`.
async function ready(options = {}) {
  const made = uploaderMade();
  const { Vod } = aliyunUpload(() => sdk, '9.9.9');
  const vod = new Vod(options);
  await made;
  return vod;
}

// The uploader's first question about file `index`, as VodUploader asks it.
const ask = (index) => Recorder.last.options.getUploadAuth({ ...Recorder.last.listFiles().find((i) => i.index === index), state: 'Uploading' });

test('options: 1.5.x names and units become the uploader\'s, the ignored ones are left out', guard, async () => {
  await ready({ partSize: 204800, parallel: 3, retryCount: 4, retryDuration: 3, timeout: 9000, region: 'cn-beijing', userId: '1', cname: true, localCheckpoint: true, enableUploadProgress: false, checkCrc64: false });
  const { options } = Recorder.last;
  assert.deepEqual(
    Object.fromEntries(Object.entries(options).filter(([, v]) => typeof v !== 'function')),
    { partSize: 204800, parallel: 3, retryCount: 4, retryDuration: 3000, timeout: 9000, region: 'cn-beijing', checkCrc64: false },
  );
  assert.equal(typeof options.getUploadAuth, 'function');
  assert.equal(typeof options.refreshUploadAuth, 'function');
});

test('paramData\'s Vod fields become file options; JSON that does not parse throws a named error', guard, async () => {
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

test('addFile answers false for no File or one listed, and an empty file fails at once', guard, async () => {
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

test('indexes are numbers or numeric strings; anything else names no file', guard, async () => {
  const vod = await ready();
  for (const name of ['a', 'b', 'c']) vod.addFile(file(`${name}.mp4`));
  for (const bad of ['x', '', ' ', '1.5', -1, 3, null, undefined, {}]) assert.equal(vod.cancelFile(bad), false, String(bad));
  assert.equal(vod.cancelFile(' 1 '), true);
  assert.equal(vod.resumeFile(1), true);
  assert.equal(vod.deleteFile('0'), true);
  assert.deepEqual(vod.listFiles().map((i) => i.file.name), ['b.mp4', 'c.mp4']);
  assert.equal(vod.getVersion(), '9.9.9');
});

test('the page\'s credentials reach the uploader, with the address fields addFile gave in place', guard, async () => {
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
  assert.equal(info.region, 'cn-beijing', 'the UploadAuth\'s Region wins over the default');
  assert.equal(vod.options.region, 'cn-beijing', 'and is written into the options, as 1.5.x does');
  assert.ok(!JSON.stringify(vod.listFiles()).includes('"s"'), 'no secret in the uploadInfo');
});

test('the resume calls hand the uploader an UploadAuth or an STS token', guard, async () => {
  const vod = await ready();
  vod.addFile(file('a.mp4'));
  assert.equal(vod.resumeUploadWithAuth('x'), false, 'no file waits: nothing done, nothing thrown');
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
  // With more than it takes, as some pages call it.
  assert.equal(vod.resumeUploadWithSTSToken('id2', 'secret2', 'token2', undefined, 'extra', 42), true);
  const token = await asked;
  assert.deepEqual([token.AccessKeyId, token.AccessKeySecret, token.SecurityToken], ['id2', 'secret2', 'token2']);
  assert.ok(Date.parse(token.Expiration) > Date.now(), 'an hour when the page gives no expiration');
});

test('before the SDK is ready, files wait and startUpload is remembered', guard, async () => {
  Recorder.last = null;
  const { Vod, handOver } = heldLayer('1.0.0');
  const seen = [];
  const vod = new Vod({ addFileSuccess: (info) => seen.push(info.file.name) });
  assert.equal(vod.addFile(file('early.mp4')), true);
  assert.deepEqual(seen, ['early.mp4'], 'addFileSuccess at once');
  vod.startUpload();
  assert.equal(vod.getCheckpoint(file('early.mp4')), '');
  let started;
  const starting = new Promise((r) => { started = r; });
  class Starting extends Recorder {
    start() { started(); }
  }
  // The SDK has not loaded, so nothing can have reached an uploader.
  assert.equal(Recorder.last, null, 'nothing reached an uploader yet');
  (await handOver)({ VodUploader: Starting, findCheckpoint: () => null });
  await starting;
  assert.equal(Recorder.last.added.length, 1);
});

// ---- Habits of pages written for 1.5.x ----

test('options is the page\'s own object, with 1.5.x\'s defaults written in; loose values upload', guard, async () => {
  for (const [loose, expected] of [
    [{ partSize: '' }, { partSize: 1048576, parallel: 5, region: 'cn-shanghai' }],
    [{ parallel: '3' }, { partSize: 1048576, parallel: 3, region: 'cn-shanghai' }],
    [{ region: '' }, { partSize: 1048576, parallel: 5, region: 'cn-shanghai' }],
    [{ partSize: '204800', retryDuration: '2', timeout: 9000 }, { partSize: 204800, parallel: 5, region: 'cn-shanghai', retryDuration: 2000, timeout: 9000 }],
    [{ parallel: 'many', retryCount: 'x' }, { partSize: 1048576, parallel: 5, region: 'cn-shanghai' }],
  ]) {
    for (const userId of [1303984639806000, '1303984639806000', 'not-a-number', undefined]) {
      const options = { ...loose, userId };
      const vod = await ready(options);
      assert.equal(vod.options, options, 'the very object');
      assert.equal(options.region, 'cn-shanghai');
      assert.equal(options.enableUploadProgress, true);
      const given = Object.fromEntries(Object.entries(Recorder.last.options).filter(([, v]) => typeof v !== 'function'));
      assert.deepEqual(given, expected, JSON.stringify(loose));
      assert.equal(vod.addFile(file('a.mp4')), true);
      assert.equal(Recorder.last.added.length, 1, 'the file reached a live uploader');
    }
  }
});

test('callbacks are looked up when they fire, run with this = options, and may throw', guard, async () => {
  const seen = [];
  const options = {
    retryCount: 4,
    addFileSuccess() { seen.push(['first', this.retryCount]); throw new Error('the page broke'); },
  };
  const vod = await ready(options);
  const errors = [];
  const error = console.error;
  console.error = (...args) => errors.push(args.join(' '));
  try {
    assert.equal(vod.addFile(file('a.mp4')), true, 'a throwing callback stops nothing');
  } finally {
    console.error = error;
  }
  assert.match(errors[0], /addFileSuccess threw; the upload goes on/);
  vod.options.addFileSuccess = function (info) {
    this.loading = true;
    seen.push(['replaced', this.region, info.file.name]);
  };
  vod.addFile(file('b.mp4'));
  assert.deepEqual(seen, [['first', 4], ['replaced', 'cn-shanghai', 'b.mp4']]);
  assert.equal(options.loading, true, 'this is the options object');
});

test('_uploadList holds the very uploadInfo objects; emptying it takes the files out', guard, async () => {
  const given = [];
  const vod = await ready({ addFileSuccess: (info) => given.push(info) });
  const [a, b] = [file('a.mp4'), file('b.mp4')];
  vod.addFile(a);
  vod.addFile(b);
  assert.ok(Array.isArray(vod._uploadList));
  assert.equal(vod._uploadList[0], given[0]);
  assert.equal(vod._uploadList[1], given[1]);
  assert.equal(vod.listFiles(), vod._uploadList, 'listFiles is the list itself');
  assert.equal(vod._uploadList[0].file.name, 'a.mp4');
  assert.equal(typeof vod._uploadList[0].ri, 'string');
  assert.equal(vod._uploadList[0].videoId, '');
  vod._uploadList.length = 0;
  assert.equal(vod.addFile(a), true, 'the same File is new again');
  assert.deepEqual(Recorder.last.deleted, [0, 1], 'the files the page dropped left the uploader');
  assert.deepEqual(vod.listFiles().map((i) => i.file.name), ['a.mp4']);
});

test('addFileSuccess fires inside addFile with the file listed, with 1.5.x\'s fields', guard, async () => {
  let during = null;
  const vod = await ready({
    addFileSuccess(info) {
      during = { listed: vod._uploadList.includes(info), keys: Object.keys(info) };
    },
  });
  assert.equal(vod.addFile(file('a.mp4'), null, null, null, '{"Vod":{"Title":"t"}}'), true);
  assert.equal(during.listed, true);
  for (const key of ['file', 'isImage', 'ri', 'state', 'userData', 'videoInfo']) assert.ok(during.keys.includes(key), key);
  assert.deepEqual(vod._uploadList[0].videoInfo, { Title: 't' }, 'videoInfo is paramData\'s Vod');
  assert.equal(vod._uploadList[0].userData, '{"Vod":{"Title":"t"}}');
  assert.equal(vod.addFile(vod._uploadList[0].file), false, 'the same File twice');
});

test('fileHash is filled in after the file is added: the MD5 of its first MiB', guard, async () => {
  const vod = await ready();
  const bytes = new Uint8Array(1048576 + 300).map((_, i) => i * 7);
  let hashed;
  vod.options.addFileSuccess = (info) => { hashed = assigned(info, 'fileHash'); };
  vod.addFile(new File([bytes], 'big.mp4'));
  assert.equal(await hashed, createHash('md5').update(bytes.subarray(0, 1048576)).digest('hex'));
  assert.equal(vod._uploadList[0].fileHash, await hashed);
});

test('lenient calls: none of these throws, and the page\'s next line runs', guard, async () => {
  const vod = await ready({ onUploadstarted: () => {} });
  assert.equal(vod.cancelFile(), false);
  assert.equal(vod.deleteFile(0), false, 'an empty list');
  vod.stopUpload();
  assert.equal(vod.resumeUploadWithSTSToken('id', 'secret', 'token', 'x', 'extra'), false, 'nothing waits');
  assert.equal(vod.setUploadAuthAndAddress({ file: file('stranger.mp4') }, 'a', 'b'), false, 'not a file of this uploader');
  vod.addFile(file('a.mp4'));
  vod.addFile(file('cover.png'));
  const auth = b64({ AccessKeyId: 'id', AccessKeySecret: 's', SecurityToken: 't', Expiration: '3600' });
  const address = b64({ Endpoint: 'https://oss-cn-shanghai.aliyuncs.com', Bucket: 'b', FileName: 'sv/1/a.mp4' });
  // Three arguments: no VideoId.
  let asked = ask(0);
  assert.equal(vod.setUploadAuthAndAddress(vod._uploadList[0], auth, address), true);
  let grant = await asked;
  assert.deepEqual([grant.UploadAuth, grant.UploadAddress, grant.VideoId], [auth, address, undefined]);
  // An image's ImageId as the fourth.
  asked = ask(1);
  vod.setUploadAuthAndAddress(vod._uploadList[1], auth, address, 'image-1');
  grant = await asked;
  assert.equal(grant.ImageId, 'image-1');
  // setSTSToken with more than it takes, and an expiration that is not a time.
  vod.addFile(file('c.mp4'));
  asked = ask(2);
  assert.equal(vod.setSTSToken(vod._uploadList[2], 'id', 'secret', 'token', 'cn-shanghai', { more: 1 }), true);
  const token = await asked;
  assert.deepEqual([token.AccessKeyId, token.AccessKeySecret, token.SecurityToken], ['id', 'secret', 'token']);
  const hour = Date.parse(token.Expiration) - Date.now();
  assert.ok(hour > 3590e3 && hour <= 3600e3, token.Expiration);
});

test('whatever the constructor cannot accept reaches the page through onUploadFailed, for each file', guard, async () => {
  const failed = [];
  Recorder.refuse = 'options.region "Shanghai!" is not a region id such as "cn-shanghai"';
  const errors = [];
  const error = console.error;
  console.error = (...args) => errors.push(args.join(' '));
  let vod;
  try {
    // The SDK arrives once the test lets it, after the first file is added.
    const { Vod, handOver } = heldLayer('9.9.9');
    let firstFailed;
    const failedFirst = new Promise((r) => { firstFailed = r; });
    vod = new Vod({
      region: 'Shanghai!',
      onUploadFailed: (info, code, message) => {
        failed.push([info.file.name, code, message]);
        firstFailed();
      },
    });
    vod.addFile(file('early.mp4'));
    assert.deepEqual(failed, [], 'nothing is known before the SDK is there');
    (await handOver)(sdk);
    await failedFirst;
    vod.addFile(file('late.mp4'));
    vod.startUpload();
  } finally {
    Recorder.refuse = null;
    console.error = error;
  }
  assert.deepEqual(failed.map(([name, code]) => [name, code]), [['early.mp4', 'InvalidArgument'], ['late.mp4', 'InvalidArgument']]);
  assert.match(failed[0][2], /Shanghai!/);
  assert.deepEqual(vod.listFiles().map((i) => i.state), ['Failure', 'Failure']);
  assert.equal(errors.length, 1, 'said once on the console');
  // The SDK that does not load at all: the same.
  const { Vod } = aliyunUpload(() => Promise.reject(new Error('wasm refused')), '9.9.9');
  const lost = [];
  console.error = () => {};
  try {
    let firstLost;
    const lostFirst = new Promise((r) => { firstLost = r; });
    const broken = new Vod({
      onUploadFailed: (info, code, message) => {
        lost.push([code, message]);
        firstLost();
      },
    });
    broken.addFile(file('a.mp4'));
    await lostFirst;
    broken.addFile(file('b.mp4'));
  } finally {
    console.error = error;
  }
  assert.deepEqual(lost, [['SdkNotLoaded', 'the SDK could not load: wasm refused'], ['SdkNotLoaded', 'the SDK could not load: wasm refused']]);
});

test('userData may be empty, null, {} or {"Vod":{}}, or carry 1.5.x\'s fields with a nested UserData', guard, async () => {
  const vod = await ready();
  for (const [i, empty] of ['', null, '{}', '{"Vod":{}}', undefined].entries()) {
    assert.equal(vod.addFile(file(`e${i}.mp4`), null, null, null, empty), true, String(empty));
    assert.deepEqual(Recorder.last.added[i].options, {});
    assert.deepEqual(vod._uploadList[i].videoInfo, {});
  }
  const full = JSON.stringify({ Vod: { Title: 'T', CateId: 9, Tags: 'a', TemplateGroupId: 'g', StorageLocation: 's', UserData: { Extend: { k: 'v' } } } });
  vod.addFile(file('full.mp4'), '', '', '', full);
  assert.deepEqual(Recorder.last.added[5].options, { title: 'T', cateId: 9, tags: 'a', templateGroupId: 'g', storageLocation: 's', userData: { Extend: { k: 'v' } } });
});

test('credentials set inside onUploadstarted before it returns, or later, answer the question', guard, async () => {
  const auth = b64({ AccessKeyId: 'id', AccessKeySecret: 's', SecurityToken: 't', Expiration: '3600' });
  const address = b64({ Endpoint: 'https://oss-cn-shanghai.aliyuncs.com', Bucket: 'b', FileName: 'sv/1/a.mp4' });
  const started = [];
  const vod = await ready({
    onUploadstarted(info) {
      started.push(Object.keys(info));
      // A synchronous XHR, or credentials fetched beforehand: set before the callback returns.
      if (info.file.name === 'now.mp4') vod.setUploadAuthAndAddress(info, auth, address, 'v-now');
      else Promise.resolve().then(() => vod.setUploadAuthAndAddress(info, auth, address, 'v-later'));
    },
  });
  vod.addFile(file('now.mp4'));
  vod.addFile(file('later.mp4'));
  assert.equal((await ask(0)).VideoId, 'v-now');
  assert.equal((await ask(1)).VideoId, 'v-later');
  for (const keys of started) assert.ok(['file', 'isImage', 'ri', 'state', 'userData', 'videoInfo', 'retry'].every((k) => keys.includes(k)), keys.join());
});
