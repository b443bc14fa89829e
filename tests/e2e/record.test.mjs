// Upload while recording, in Debian's Chromium on the lab page (lab.mjs): a canvas recorded
// with MediaRecorder goes up part by part as it is recorded, and is in VOD moments after the
// recorder stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, heldAt, hold, md5, resetServer, unhold } from './support.mjs';
import { useLab } from './lab.mjs';

const PART = 100 * 1024;
const options = { partSize: PART, parallel: 3 };

const lab = useLab(() => resetServer());

test('a recording goes up while it is recorded and arrives as the recorder gave it', async () => {
  const errors = await lab.open(options);
  await lab.page.evaluate(() => window.lab.record(10000, { name: 'recorded.webm', type: 'video/webm' }));
  await lab.start();
  await lab.page.waitForFunction(() => window.lab.recording.stoppedAt !== null, null, { timeout: 60000 });
  // What vod-local held when the recorder stopped: all but the parts in flight and the bytes
  // short of a part.
  const { atStop, loadedAtStop } = await lab.page.evaluate(() => window.lab.recording);
  const { uploads } = await admin('GET', 'uploads');
  const held = uploads.filter((u) => u.key.endsWith('/recorded.webm')).flatMap((u) => u.parts)
    .reduce((sum, p) => sum + (p.stored ? p.size : 0), 0);
  console.log(`# recorded ${atStop} bytes when told to stop, of which the page had been told ${loadedAtStop} were acknowledged; vod-local held ${held} just after`);
  assert.ok(atStop > 10 * PART, `only ${atStop} bytes recorded`);
  const short = (options.parallel + 1) * PART;
  assert.ok(loadedAtStop >= atStop - short, `${loadedAtStop} of ${atStop} bytes acknowledged at the stop`);
  assert.ok(held >= loadedAtStop, `vod-local held ${held}, fewer than the ${loadedAtStop} acknowledged`);
  await lab.until('succeed');
  const events = await lab.events();
  const stoppedAt = await lab.page.evaluate(() => window.lab.recording.stoppedAt);
  const succeeded = events.find((e) => e.kind === 'succeed').at;
  console.log(`# from the recorder's stop to success: ${succeeded - stoppedAt} ms`);
  const recorded = Buffer.from(await lab.page.evaluate(() => window.lab.recorded()), 'base64');
  const info = await lab.info();
  assert.equal(info.size, recorded.length, 'the size, known at the end');
  const { objects } = await admin('GET', 'objects');
  const object = objects.find((o) => o.key === info.object);
  assert.equal(object.md5, md5(recorded), 'stored as the recorder gave it');
  const { uploads: after } = await admin('GET', 'uploads');
  const parts = after.filter((u) => u.key === info.object).flatMap((u) => u.parts);
  assert.ok(parts.length > 10 && parts.every((p) => p.stored === 1), `parts stored: ${parts.map((p) => p.stored)}`);
  assert.ok(await lab.page.evaluate((id) => window.lab.play(id), info.videoId) >= 2);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload(info.object);
  assert.deepEqual(errors, []);
});

test('a page closed mid-recording: the next one finds the recording and finishes it from what was kept', async () => {
  await lab.open(options);
  // Three parts go through; the next ones wait at vod-local, unanswered.
  await hold('upload-part', { after: 3 });
  await lab.page.evaluate(() => window.lab.record(0, { name: 'crashed.webm', type: 'video/webm', title: 'Crashed' }));
  await lab.start();
  await lab.until('progress', 3);
  await heldAt({ waiting: 1 });
  // Five seconds' worth recorded; the recorder pauses so that what it gave is what was kept.
  await lab.page.waitForFunction(() => window.lab.recording.chunks.length >= 5, null, { timeout: 60000 });
  await lab.page.evaluate(() => window.lab.recording.recorder.pause());
  // Every byte recorded is kept, though vod-local takes none of it now.
  await lab.page.waitForFunction(async () => {
    const { recorded, kept } = await window.lab.sizes();
    return recorded === kept;
  }, null, { timeout: 60000, polling: 100 });
  const { recorded: size, kept } = await lab.page.evaluate(() => window.lab.sizes());
  assert.equal(kept, size);
  const recorded = Buffer.from(await lab.page.evaluate(() => window.lab.recorded()), 'base64');
  const first = await lab.info();
  assert.ok(first.loaded >= 3 * PART && first.loaded < recorded.length, `${first.loaded} of ${recorded.length}`);
  // The page dies.
  await lab.page.close();
  await unhold({ drop: true });
  // The next page finds it, and finishes it as it is.
  const errors = await lab.open(options);
  const found = await lab.page.evaluate(async () => {
    const [recording, ...more] = await window.lab.findRecordings();
    window.lab.found = recording;
    return { count: 1 + more.length, name: recording.name, size: recording.size, title: recording.info.title };
  });
  assert.deepEqual(found, { count: 1, name: 'crashed.webm', size: recorded.length, title: 'Crashed' });
  await lab.page.evaluate(() => window.lab.found.resume(window.lab.uploader));
  const again = await lab.info();
  assert.ok(again.resumed, 'resumed from its checkpoint');
  assert.equal(again.videoId, first.videoId, 'into the same video');
  await lab.start();
  await lab.until('succeed');
  const info = await lab.info();
  const { objects } = await admin('GET', 'objects');
  const object = objects.find((o) => o.key === info.object);
  assert.equal(object.md5, md5(recorded), 'stored as the recorder gave it before the close');
  const { uploads } = await admin('GET', 'uploads');
  const parts = uploads.filter((u) => u.key === info.object).flatMap((u) => u.parts);
  assert.ok(parts.every((p) => p.stored <= 1), `a part was stored twice: ${JSON.stringify(parts)}`);
  console.log(`# closed with ${first.loaded} of ${recorded.length} bytes acknowledged; ${parts.length} parts, each stored once`);
  assert.deepEqual(await lab.page.evaluate(() => window.lab.findRecordings()), [], 'nothing kept once it succeeded');
  await lab.assertNoOpenUpload(info.object);
  assert.deepEqual(errors, []);
});

test('faults while recording: 503s, a part held beyond the timeout, a damaged part, expired credentials', async () => {
  const errors = await lab.open({ ...options, refresh: true, timeout: 3000, retryDuration: 200 });
  await admin('POST', 'faults', { action: 'fail', status: 503, count: 3 });
  await admin('POST', 'damage-parts', { count: 1 });
  await hold('upload-part', { after: 6, count: 1 });
  await lab.page.evaluate(() => window.lab.record(8000, { name: 'faults.webm', type: 'video/webm' }));
  await lab.start();
  // Mid-recording, once parts went through, every credential the server gave expires.
  await lab.until('progress', 8);
  await admin('POST', 'expire-credentials');
  await lab.until('succeed', 1, 120000);
  const events = await lab.events();
  const codes = new Set(events.filter((e) => e.kind === 'retry').map((e) => e.rest[0]));
  // Two secrets (the key's and the token's) for each credential the backend handed out.
  const credentials = (await lab.page.evaluate(() => window.lab.secrets.length)) / 2;
  console.log(`# retries: ${[...codes].join(', ')}; credentials handed out: ${credentials}`);
  for (const code of ['ServiceUnavailable', 'Crc64Mismatch', 'Timeout']) assert.ok(codes.has(code), `no ${code} retry`);
  assert.ok(credentials >= 2, 'the expired credentials were renewed');
  assert.equal(events.filter((e) => e.kind === 'failed' || e.kind === 'expired').length, 0);
  const recorded = Buffer.from(await lab.page.evaluate(() => window.lab.recorded()), 'base64');
  const info = await lab.info();
  const { objects } = await admin('GET', 'objects');
  assert.equal(objects.find((o) => o.key === info.object).md5, md5(recorded), 'stored as the recorder gave it');
  await lab.assertNoOpenUpload(info.object);
  assert.deepEqual(errors, []);
});

for (const keep of [false, true]) {
  test(`a stream that fails fails its file${keep ? ', its upload kept for a later page' : ', its upload aborted'}`, async () => {
    const errors = await lab.open(options);
    await lab.page.evaluate((k) => window.lab.streamThatFails(12, { name: 'unplugged.webm', keepOnError: k }), keep);
    await lab.start();
    await lab.until('failed');
    const failed = (await lab.events()).find((e) => e.kind === 'failed');
    assert.equal(failed.rest[0], 'StreamFailed');
    assert.match(failed.rest[1], /the camera was unplugged/);
    const found = await lab.page.evaluate(async () => (await window.lab.findRecordings()).map((r) => r.name));
    if (keep) {
      assert.deepEqual(found, ['unplugged.webm'], 'kept for a later page');
      assert.equal((await lab.checkpoints()).length, 1);
      // Finished as it is, from what was kept: the 12 chunks before the failure.
      await lab.page.evaluate(async () => {
        const [kept] = await window.lab.findRecordings();
        await kept.resume(window.lab.uploader);
        window.lab.uploader.start();
      });
      await lab.until('succeed');
      const done = (await lab.page.evaluate(() => window.lab.uploader.listFiles().map(({ file, options, ...i }) => i))).pop();
      assert.equal(done.size, 12 * 65536);
      await lab.assertNoOpenUpload();
    } else {
      assert.deepEqual(found, []);
      await lab.assertNoOpenUpload((await lab.info()).object);
    }
    assert.deepEqual(errors, []);
  });
}

test('a recording whose upload fails for good is read no more, and nothing of it is kept', async () => {
  const errors = await lab.open(options);
  await lab.page.evaluate(() => window.lab.record(0, { name: 'denied.webm', type: 'video/webm' }));
  await lab.start();
  // Once parts went through, the next is refused for good: AccessDenied is not retried.
  await lab.until('progress', 2);
  await admin('POST', 'faults', { action: 'fail', status: 403, count: 1 });
  await lab.until('failed');
  const failed = (await lab.events()).find((e) => e.kind === 'failed');
  assert.equal(failed.rest[0], 'AccessDenied');
  // The recorder goes on; two more chunks come, and are taken by nobody.
  const chunks = await lab.page.evaluate(() => window.lab.recording.chunks.length);
  await lab.page.waitForFunction((n) => window.lab.recording.chunks.length >= n + 2, chunks, { timeout: 60000 });
  assert.deepEqual(await lab.page.evaluate(async () => (await window.lab.findRecordings()).length), 0);
  await lab.page.evaluate(() => window.lab.recording.recorder.stop());
  await lab.page.waitForFunction(() => window.lab.recording.stoppedAt !== null);
  await lab.assertNoOpenUpload((await lab.info()).object);
  assert.deepEqual(errors, [], 'no error on the page');
});

test('in STS mode a recording asks VOD for its video itself, and arrives whole', async () => {
  const errors = await lab.open({ ...options, sts: true });
  await lab.page.evaluate(() => window.lab.record(3000, { name: 'sts.webm', type: 'video/webm', title: 'STS' }));
  await lab.start();
  await lab.until('succeed');
  const recorded = Buffer.from(await lab.page.evaluate(() => window.lab.recorded()), 'base64');
  const info = await lab.info();
  assert.match(info.videoId, /^[0-9a-f]{32}$/);
  const { objects } = await admin('GET', 'objects');
  assert.equal(objects.find((o) => o.key === info.object).md5, md5(recorded));
  await lab.assertNoOpenUpload(info.object);
  assert.deepEqual(errors, []);
});
