// Broken answers against the shipped build (pkg/, no std: a panic traps) in Debian's Chromium:
// vod-local breaks the next answers to one operation in each named way (its /_admin/broken),
// once and then for good. Every file must end; success is claimed only for an object vod-local
// holds byte for byte; a failure's code is a short identifier and its message at most 1 KB; no
// multipart upload is left open by a failed file; the page sees no error (a trap would be one);
// and the same uploader then uploads a clean file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, hold, md5, resetServer, unhold } from './support.mjs';
import { useLab } from './lab.mjs';

const lab = useLab(() => resetServer());

const KINDS = ['empty', 'truncated', 'binary', 'malformed', 'deep', 'wrong-document', 'bad-crc',
  'huge-code', 'html', 'huge'];
const OPTIONS = { partSize: 100 * 1024, parallel: 3, retryCount: 3, retryDuration: 20 };
// Three parts, or one part for a PutObject.
const MULTIPART = 250 * 1024;
const SINGLE = 60 * 1024;

let serial = 0;

// Adds a file of `size` random bytes and uploads it to its end; its last info and its events.
async function upload(size, { beforeStart } = {}) {
  serial += 1;
  const name = `broken ${serial}.mp4`;
  const ends = await lab.count('end');
  const { buffer, info } = await lab.addFile(name, size);
  if (beforeStart) await beforeStart();
  await lab.start();
  await lab.until('end', ends + 1, 120000);
  const done = await lab.page.evaluate((index) => {
    const { file, options, ...found } = window.lab.uploader.listFiles().find((f) => f.index === index);
    return found;
  }, info.index);
  const events = (await lab.events()).filter((e) => e.name === name);
  return { name, buffer, done, events };
}

// What every ending must show; returns 'Success' or 'Failure'.
async function assertEndedWell(label, { buffer, done, events }) {
  assert.ok(['Success', 'Failure'].includes(done.state), `${label}: the file ended ${done.state}`);
  const { objects } = await admin('GET', 'objects');
  const object = objects.find((o) => o.key === done.object);
  if (done.state === 'Success') {
    assert.equal(events.filter((e) => e.kind === 'succeed').length, 1, `${label}: one success`);
    assert.ok(object && object.md5 === md5(buffer) && object.size === buffer.length,
      `${label}: success was claimed for an object vod-local does not hold byte for byte`);
  } else {
    const failed = events.find((e) => e.kind === 'failed');
    assert.ok(failed, `${label}: a failure without onUploadFailed`);
    const [code, message] = failed.rest;
    assert.match(code, /^[A-Za-z0-9._-]{1,64}$/, `${label}: the code is not a short identifier`);
    assert.ok(message.length <= 1024, `${label}: a message of ${message.length} characters`);
    await lab.assertNoOpenUpload(done.object);
  }
  return done.state;
}

// Each kind once (the retry must succeed), then for good (the file ends, one way or the other);
// after every failure and at the end, a clean file through the same uploader.
async function tryEveryKind(operation, size, { rules = (r) => [r], beforeStart, kinds = KINDS } = {}) {
  const outcomes = {};
  for (const [count, expect] of [[1, 'Success'], [20, null]]) {
    for (const kind of kinds) {
      const label = `${operation} ${kind} ×${count}`;
      const ending = await upload(size, {
        beforeStart: async () => {
          if (beforeStart) await beforeStart();
          await admin('POST', 'broken', rules({ operation, kind, count }));
        },
      });
      await admin('DELETE', 'broken');
      const state = await assertEndedWell(label, ending);
      if (expect) assert.equal(state, expect, `${label}: ${JSON.stringify(ending.events.filter((e) => e.kind !== 'progress'))}`);
      outcomes[label] = state;
      if (state === 'Failure') {
        assert.equal(await assertEndedWell(`${label}, a clean file after it`, await upload(size)), 'Success');
      }
    }
  }
  assert.equal(await assertEndedWell(`${operation}: a clean file at the end`, await upload(size)), 'Success');
  await lab.assertNoOpenUpload();
  console.log(`# ${operation}: ${JSON.stringify(outcomes)}`);
  return outcomes;
}

// An Initiate's answer broken after the server opened the upload leaves that upload behind
// (the SDK never learns its id; the bucket's lifecycle rule clears such uploads): here the
// server answers broken instead of opening one.
for (const [operation, size, done] of [['initiate', MULTIPART, false], ['upload-part', MULTIPART],
  ['complete', MULTIPART], ['put-object', SINGLE]]) {
  test(`broken answers to ${operation}`, async () => {
    const errors = await lab.open(OPTIONS);
    await tryEveryKind(operation, size, { rules: (rule) => [{ ...rule, done }] });
    assert.deepEqual(errors, []);
  });
}

test('broken answers to complete, carried out or not, never pass for success', async () => {
  const errors = await lab.open(OPTIONS);
  // The server does not complete the object: every answer broken ends in a failure.
  const outcomes = await tryEveryKind('complete', MULTIPART, {
    rules: (rule) => [{ ...rule, done: false }],
    kinds: ['empty', 'malformed', 'wrong-document', 'html', 'huge-code'],
  });
  for (const [label, state] of Object.entries(outcomes)) {
    if (label.endsWith('×20')) assert.equal(state, 'Failure', label);
  }
  assert.deepEqual(errors, []);
});

test('broken answers to head-object, after a lost answer to complete', async () => {
  const errors = await lab.open(OPTIONS);
  // A HEAD's answer has no body, so no error document whose code could be broken.
  await tryEveryKind('head-object', MULTIPART, {
    rules: (rule) => [{ operation: 'complete', kind: 'html', count: 1 }, rule],
    kinds: KINDS.filter((k) => k !== 'huge-code'),
  });
  assert.deepEqual(errors, []);
});

test('broken answers to list-parts, when a stopped file goes on', async () => {
  const errors = await lab.open(OPTIONS);
  // The file is stopped once it has a part on the server, then broken answers are set and it
  // is started again: it lists its parts first.
  const stopMidway = async () => {
    await hold('upload-part', { after: 1 });
    const progressed = await lab.count('progress');
    await lab.start();
    await lab.until('progress', progressed + 1);
    await lab.page.evaluate(() => window.lab.uploader.stop());
    await unhold({ drop: true });
  };
  await tryEveryKind('list-parts', 600 * 1024, { beforeStart: stopMidway });
  assert.deepEqual(errors, []);
});

test('broken answers to VOD, in STS mode', async () => {
  const errors = await lab.open({ ...OPTIONS, sts: true });
  await tryEveryKind('vod', MULTIPART, { kinds: KINDS.filter((k) => k !== 'bad-crc') });
  assert.deepEqual(errors, []);
});
