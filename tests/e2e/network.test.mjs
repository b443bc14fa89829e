// The SDK riding out the network and the clock in Debian's Chromium, against vod-local: the
// browser going offline, a connection that turns cellular, credentials that live 5 seconds,
// resets and a stalled part, a fatal error, on the lab page (lab.mjs). Every test checks that
// progress never went back and that no multipart upload is left open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin } from './support.mjs';
import { MIB, useLab } from './lab.mjs';

const lab = useLab(async () => {
  await admin('DELETE', 'faults');
  await admin('POST', 'token-ttl', { seconds: 3000 });
});

test('offline for 10 s mid-upload: the file waits, then goes on and arrives intact', async () => {
  const errors = await lab.open({ partSize: MIB, parallel: 2 });
  // Slow parts, so that the network surely drops mid-upload.
  await admin('POST', 'faults', { action: 'stall', ms: 400, fraction: 1 });
  const buffer = (await lab.addFile('offline 10s.mp4', 8 * MIB)).buffer;
  await lab.start();
  await lab.until('progress', 2);
  await lab.context.setOffline(true);
  await lab.until('retry');
  assert.equal(await lab.state(), 'Waiting');
  const waiting = await lab.events();
  assert.deepEqual(waiting.filter((e) => e.kind === 'retry').map((e) => e.rest[0]), ['NetworkOffline']);
  const requestsOffline = (await lab.counted()).received;
  await lab.page.waitForTimeout(10000);
  assert.equal((await lab.counted()).received, requestsOffline, 'parts were sent while offline');
  assert.equal(await lab.state(), 'Waiting');
  await admin('DELETE', 'faults');
  const back = Date.now();
  await lab.context.setOffline(false);
  await lab.until('retryResume');
  const resumed = (await lab.events()).find((e) => e.kind === 'retryResume');
  assert.ok(resumed.at - back < 1000, `went on ${resumed.at - back} ms after the network came back`);
  await lab.until('succeed');
  const all = await lab.events();
  assert.equal(all.filter((e) => e.kind === 'retry').length, 1, 'no retry was used up');
  assert.equal(all.filter((e) => e.kind === 'failed').length, 0);
  await lab.assertArrived('offline 10s.mp4', buffer);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('pauseOnCellular: a connection that turns cellular makes the upload wait until Wi-Fi', async () => {
  // Desktop Chromium reports no connection type: the page gets a navigator.connection of its
  // own, which the test switches. Everything else is real.
  const init = () => {
    const connection = new EventTarget();
    connection.type = 'wifi';
    Object.defineProperty(Navigator.prototype, 'connection', { get: () => connection, configurable: true });
    window.switchConnection = (type) => {
      connection.type = type;
      connection.dispatchEvent(new Event('change'));
    };
  };
  const errors = await lab.open({ partSize: MIB, parallel: 2, pauseOnCellular: true }, { init });
  // One part answers after 400 ms, the others would after 5 s: the switch to cellular comes
  // right after the first answer, while the others are surely still waiting, unstored.
  await admin('POST', 'faults', [
    { action: 'stall', ms: 400, count: 1 },
    { action: 'stall', ms: 5000, fraction: 1 },
  ]);
  const buffer = (await lab.addFile('cellular.mp4', 6 * MIB)).buffer;
  await lab.start();
  await lab.until('progress', 1);
  await lab.page.evaluate(() => window.switchConnection('cellular'));
  await lab.until('retry');
  assert.equal(await lab.state(), 'Waiting');
  const retry = (await lab.events()).find((e) => e.kind === 'retry');
  assert.equal(retry.rest[0], 'CellularNetwork');
  await lab.page.waitForTimeout(1500);
  const onCellular = (await lab.counted()).received;
  await lab.page.waitForTimeout(2000);
  assert.equal((await lab.counted()).received, onCellular, 'parts were sent over cellular');
  await admin('DELETE', 'faults');
  await lab.page.evaluate(() => window.switchConnection('wifi'));
  await lab.until('succeed');
  assert.equal(await lab.count('retryResume'), 1);
  await lab.assertArrived('cellular.mp4', buffer);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('credentials living 5 s on an upload of over 20 s refresh by themselves', async () => {
  const errors = await lab.open({ partSize: 100 * 1024, parallel: 2, refresh: true });
  await admin('POST', 'token-ttl', { seconds: 5 });
  await admin('POST', 'faults', { action: 'stall', ms: 1500, fraction: 1 });
  const before = (await admin('GET', 'counters')).refreshes;
  const buffer = (await lab.addFile('refreshing.mp4', 3 * MIB)).buffer;
  const started = Date.now();
  await lab.start();
  await lab.until('succeed', 1, 120000);
  const took = Date.now() - started;
  assert.ok(took > 20000, `the upload took only ${took} ms`);
  const refreshes = (await admin('GET', 'counters')).refreshes - before;
  assert.ok(refreshes >= 4, `${refreshes} refreshes`);
  assert.equal(await lab.count('expired'), 0);
  const count = await lab.assertArrived('refreshing.mp4', buffer);
  // No part was aborted by a refresh: every part that reached the server was stored, once.
  assert.equal(count.received, count.parts, JSON.stringify(count));
  assert.equal(count.stored, count.parts, JSON.stringify(count));
  console.log(`# refreshing.mp4: ${took} ms, ${refreshes} refreshes`);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('20 % of parts reset and one stalled past the time-out: the upload still succeeds', async () => {
  const errors = await lab.open({ partSize: 100 * 1024, parallel: 3, timeout: 3000, retryCount: 5, retryDuration: 200 });
  await admin('POST', 'faults', [
    { action: 'stall', ms: 8000, count: 1 },
    { action: 'reset', fraction: 0.2 },
  ]);
  const buffer = (await lab.addFile('resets.mp4', 2 * MIB)).buffer;
  await lab.start();
  await lab.until('succeed', 1, 120000);
  const codes = (await lab.events()).filter((e) => e.kind === 'retry').map((e) => e.rest[0]);
  assert.ok(codes.includes('Timeout'), codes.join());
  const count = await lab.assertArrived('resets.mp4', buffer);
  // Chromium sends a request again by itself when a reused connection is reset before any
  // answer, so most resets never reach the page; the server counts every one.
  assert.ok(count.received - count.stored >= 4, `the server saw ${count.received} part requests for ${count.stored} stored: ${codes.join()}`);
  console.log(`# resets.mp4: retries seen by the page: ${codes.join()}`);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('a fatal error mid-upload fails the file with its code and leaves no open upload', async () => {
  const errors = await lab.open({ partSize: MIB, parallel: 2 });
  await admin('POST', 'faults', { action: 'stall', ms: 300, fraction: 1 });
  await lab.addFile('denied.mp4', 8 * MIB);
  await lab.start();
  await lab.until('progress', 2);
  await admin('POST', 'faults', { action: 'fail', status: 403, count: 1 });
  await lab.until('failed');
  const failed = (await lab.events()).find((e) => e.kind === 'failed');
  assert.equal(failed.rest[0], 'AccessDenied');
  assert.equal(await lab.state(), 'Failure');
  await lab.assertNoOpenUpload();
  const count = await lab.counted();
  assert.deepEqual(count.uploads, ['aborted']);
  console.log(`# denied.mp4: ${JSON.stringify(count)}`);
  await lab.assertProgressNeverWentBack();
  assert.deepEqual(errors, []);
});
