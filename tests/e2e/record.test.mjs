// Upload while recording, in Debian's Chromium on the lab page (lab.mjs): a canvas recorded
// with MediaRecorder goes up part by part as it is recorded, and is in VOD moments after the
// recorder stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, md5, resetServer } from './support.mjs';
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
  const { atStop } = await lab.page.evaluate(() => window.lab.recording);
  const { uploads } = await admin('GET', 'uploads');
  const held = uploads.flatMap((u) => u.parts).reduce((sum, p) => sum + (p.stored ? p.size : 0), 0);
  console.log(`# recorded ${atStop} bytes when told to stop; vod-local held ${held} of them`);
  assert.ok(atStop > 10 * PART, `only ${atStop} bytes recorded`);
  assert.ok(held >= atStop - (options.parallel + 1) * PART, `vod-local held ${held} of ${atStop} bytes at the stop`);
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
  const parts = uploads.flatMap((u) => u.parts);
  assert.ok(parts.every((p) => p.stored <= 1), 'no part stored twice');
  assert.ok(await lab.page.evaluate((id) => window.lab.play(id), info.videoId) >= 2);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});
