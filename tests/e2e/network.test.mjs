// The SDK riding out the network and the clock in Debian's Chromium, against vod-local: the
// browser going offline, a connection that turns cellular, credentials that live 5 seconds,
// resets and a stalled part, a fatal error, on the lab page (lab.mjs). Every test checks that
// progress never went back and that no multipart upload is left open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, heldAt, hold, release, resetServer, unhold } from './support.mjs';
import { MIB, useLab } from './lab.mjs';

const lab = useLab(() => resetServer());

test('offline for 10 s mid-upload: the file waits, then goes on and arrives intact', async () => {
  const errors = await lab.open({ partSize: MIB, parallel: 2 });
  // Two parts go through and the next wait at the server: the network surely drops mid-upload.
  await hold('upload-part', { after: 2 });
  const buffer = (await lab.addFile('offline 10s.mp4', 8 * MIB)).buffer;
  await lab.start();
  await lab.until('progress', 2);
  await heldAt({ waiting: 1 });
  await lab.context.setOffline(true);
  await lab.until('retry');
  assert.equal(await lab.state(), 'Waiting');
  const waiting = await lab.events();
  assert.deepEqual(waiting.filter((e) => e.kind === 'retry').map((e) => e.rest[0]), ['NetworkOffline']);
  // Every part request that reaches the server now is held, and so counted there.
  const { held } = await heldAt({});
  await lab.page.waitForTimeout(10000);
  assert.equal((await heldAt({})).held, held, 'parts were sent while offline');
  assert.equal(await lab.state(), 'Waiting');
  assert.equal(await lab.count('retryResume'), 0, 'it went on while offline');
  await unhold();
  await lab.context.setOffline(false);
  await lab.until('retryResume');
  await lab.until('succeed');
  const all = await lab.events();
  assert.equal(all.filter((e) => e.kind === 'retry').length, 1, 'no retry was used up');
  assert.equal(all.filter((e) => e.kind === 'failed').length, 0);
  await lab.assertArrived('offline 10s.mp4', buffer);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('pauseOnCellular: a connection that turns cellular makes the upload wait (nothing sent for 2 s) until Wi-Fi', async () => {
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
  // One part goes through, the others wait at the server: the switch to cellular comes right
  // after the first answer, while another is surely still waiting, unstored.
  await hold('upload-part', { after: 1 });
  const buffer = (await lab.addFile('cellular.mp4', 6 * MIB)).buffer;
  await lab.start();
  await lab.until('progress', 1);
  await heldAt({ waiting: 1 });
  await lab.page.evaluate(() => window.switchConnection('cellular'));
  await lab.until('retry');
  assert.equal(await lab.state(), 'Waiting');
  const retry = (await lab.events()).find((e) => e.kind === 'retry');
  assert.equal(retry.rest[0], 'CellularNetwork');
  // Every part request that reaches the server now is held, and so counted there.
  const { held } = await heldAt({});
  await lab.page.waitForTimeout(2000);
  assert.equal((await heldAt({})).held, held, 'parts were sent over cellular');
  await unhold();
  await lab.page.evaluate(() => window.switchConnection('wifi'));
  await lab.until('succeed');
  assert.equal(await lab.count('retryResume'), 1);
  await lab.assertArrived('cellular.mp4', buffer);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('credentials living 10 s refresh by themselves, three times over one upload', async () => {
  // Renewed at half their life: every 5 s. The parts wait at the server, released only once a
  // renewal has come, so the upload surely spans three of them; a part is signed with the
  // credentials of its time, which still live 5 s when it is let through.
  const errors = await lab.open({ partSize: 100 * 1024, parallel: 2, refresh: true });
  await admin('POST', 'token-ttl', { seconds: 10 });
  await hold('upload-part');
  const before = (await admin('GET', 'counters')).refreshes;
  const refreshes = async () => (await admin('GET', 'counters')).refreshes - before;
  const buffer = (await lab.addFile('refreshing.mp4', 3 * MIB)).buffer;
  await lab.start();
  for (let n = 1; n <= 3; n += 1) {
    await heldAt({ waiting: 1 });
    await admin('GET', `counters?refreshes=${before + n}`);
    await release(2);
  }
  await unhold();
  await lab.until('succeed', 1, 120000);
  const seen = await refreshes();
  assert.ok(seen >= 3, `${seen} refreshes`);
  assert.equal(await lab.count('expired'), 0);
  const count = await lab.assertArrived('refreshing.mp4', buffer);
  // No part was aborted by a refresh: every part that reached the server was stored, once.
  assert.equal(count.received, count.parts, JSON.stringify(count));
  assert.equal(count.stored, count.parts, JSON.stringify(count));
  console.log(`# refreshing.mp4: ${seen} refreshes`);
  await lab.assertProgressNeverWentBack();
  await lab.assertNoOpenUpload();
  assert.deepEqual(errors, []);
});

test('20 % of parts reset and one held past the time-out: the upload still succeeds', async () => {
  const errors = await lab.open({ partSize: 100 * 1024, parallel: 3, timeout: 3000, retryCount: 5, retryDuration: 200 });
  // The first part request waits at the server until the test ends: it times out at the page.
  await hold('upload-part', { count: 1 });
  await admin('POST', 'faults', { action: 'reset', fraction: 0.2 });
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
  await hold('upload-part', { after: 2 });
  await lab.addFile('denied.mp4', 8 * MIB);
  await lab.start();
  await lab.until('progress', 2);
  await heldAt({ waiting: 1 });
  // The first held part let through meets the fault.
  await admin('POST', 'faults', { action: 'fail', status: 403, count: 1 });
  await unhold();
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
