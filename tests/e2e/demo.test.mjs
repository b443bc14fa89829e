// The demo page in Debian's Chromium, driven by Playwright as a person would use it.
// `cargo xtask test` starts vod-local (which serves it, and plays the backend and OSS) and sets
// VOD_LOCAL_URL. Each test saves a screenshot under target/e2e/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admin, assertStored, freshPages, heldAt, hold, md5, release, shots, site, unhold } from './support.mjs';

let page;
let dialogs;
freshPages((p, d) => { page = p; dialogs = d; });

async function openDemo() {
  await page.goto(`${site}/`);
  await page.getByText('Ready.').waitFor();
}

const rowState = (index) => page.locator(`#list li[data-index="${index}"]`).getAttribute('data-state');

async function waitForState(index, state, timeout = 60000) {
  await page.locator(`#list li[data-index="${index}"][data-state="${state}"]`).waitFor({ timeout });
}

async function addFiles(files) {
  const before = await page.locator('#list li').count();
  await page.setInputFiles('#files', files);
  await page.locator('#list li').nth(before + files.length - 1).waitFor();
}

test('three files picked through the input upload and arrive byte-identical', async () => {
  await openDemo();
  const files = [1, 2, 3].map((n) => ({
    name: `clip ${n} — été.mp4`,
    mimeType: 'video/mp4',
    buffer: randomBytes(n * 700 * 1024 + 17),
  }));
  await addFiles(files);
  await page.getByRole('button', { name: 'Start' }).click();
  for (const index of [0, 1, 2]) await waitForState(index, 'Success');
  for (const file of files) await assertStored(file.buffer);
  const videos = await page.locator('#list .video').allTextContents();
  assert.ok(videos.every((v) => /^VideoId [0-9a-f]{32}$/.test(v)), videos.join());
  await shootBothWidths('demo-three-files');
  assert.deepEqual(dialogs, []);
});

// Starts an 8 MiB upload whose first part goes through and whose later parts the server holds,
// and waits until the first shows as progress and a later one is held: whatever the test does
// next lands mid-upload, however fast or slow the machine. The test releases the hold.
async function startHeldUpload(name) {
  await openDemo();
  await hold('upload-part', { after: 1 });
  const file = { name, mimeType: 'video/mp4', buffer: randomBytes(8 * 1024 * 1024) };
  await addFiles([file]);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForFunction(() => Number(document.querySelector('#list progress').value) > 0);
  await heldAt({ waiting: 1 });
  return file;
}

test('Stop mid-upload, then Start again, completes', async () => {
  const file = await startHeldUpload('long.mp4');
  await page.getByRole('button', { name: 'Stop' }).click();
  assert.equal(await rowState(0), 'Stopped');
  await page.screenshot({ path: join(shots, 'demo-stopped.png'), fullPage: true });
  await unhold({ drop: true });
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForState(0, 'Success');
  await assertStored(file.buffer);
  // The parts held at Stop were dropped unstored: every part was stored once.
  const { uploads } = await admin('GET', 'uploads');
  const upload = uploads.find((u) => u.key.endsWith('/long.mp4') && u.state === 'completed');
  const stored = upload.parts.map((p) => p.stored);
  assert.deepEqual(stored, upload.parts.map(() => 1), `stores per part: ${stored}`);
});

test('credentials expired from the page are refreshed and the upload resumes', async () => {
  const file = await startHeldUpload('expiring.mp4');
  await page.getByRole('button', { name: 'Expire credentials' }).click();
  await page.getByText(/the server expired \d+ credentials/).waitFor();
  // The held parts reach the credential check now, after the expiry.
  await unhold();
  await page.getByText('credentials of expiring.mp4 expired').waitFor({ timeout: 30000 });
  await page.getByText('resumed expiring.mp4 with fresh credentials').waitFor({ timeout: 30000 });
  await waitForState(0, 'Success');
  await assertStored(file.buffer);
  await page.screenshot({ path: join(shots, 'demo-expired-and-resumed.png'), fullPage: true });
});

test('files dropped on the page can be deleted, and retries show in the log', async () => {
  await openDemo();
  const buffers = [randomBytes(900 * 1024), randomBytes(1200 * 1024)];
  await page.evaluate((contents) => {
    const transfer = new DataTransfer();
    contents.forEach((bytes, i) => transfer.items.add(new File([new Uint8Array(bytes)], `dropped ${i}.mp4`)));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
  }, buffers.map((b) => [...b]));
  await page.locator('#list li').nth(1).waitFor();
  await page.locator('#list li[data-index="0"] .delete').click();
  assert.deepEqual(await page.locator('#list .name').allTextContents(), ['dropped 1.mp4']);
  await admin('POST', 'faults', { action: 'fail', status: 503, fraction: 0.5 });
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForState(1, 'Success');
  await assertStored(buffers[1]);
  await page.getByText(/retrying a request of dropped 1\.mp4 after ServiceUnavailable/).first().waitFor();
  await page.getByText('dropped 1.mp4 goes on').first().waitFor();
  await page.screenshot({ path: join(shots, 'demo-dropped-deleted-retried.png'), fullPage: true });
});

test('a file name made of HTML shows as text', async () => {
  await openDemo();
  const name = '<img src=x onerror=alert(1)>.mp4';
  await addFiles([{ name, mimeType: 'video/mp4', buffer: randomBytes(1000) }]);
  assert.equal(await page.locator('#list .name').first().textContent(), name);
  assert.equal(await page.locator('#list img').count(), 0);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForState(0, 'Success');
  assert.ok((await page.locator('#log').textContent()).includes(name));
  assert.equal(await page.locator('img').count(), 0);
  assert.deepEqual(dialogs, []);
  await page.screenshot({ path: join(shots, 'demo-html-file-name.png'), fullPage: true });
});

test('a file waits while the browser is offline and goes on by itself when it is back', async () => {
  const file = await startHeldUpload('offline.mp4');
  await page.context().setOffline(true);
  await waitForState(0, 'Waiting');
  await page.getByText('offline.mp4 waits for the network (NetworkOffline)').waitFor();
  await page.screenshot({ path: join(shots, 'demo-waiting-offline.png'), fullPage: true });
  await unhold();
  await page.context().setOffline(false);
  await waitForState(0, 'Success');
  await page.getByText('offline.mp4 goes on').first().waitFor();
  await assertStored(file.buffer);
  assert.deepEqual(dialogs, []);
});

test('after a reload, a half-uploaded file added again resumes where it was', async () => {
  // From disk, so that the file keeps its date across the reload, as a person's file would.
  const folder = mkdtempSync(join(tmpdir(), 'vod-upload-demo-'));
  try {
    const buffer = randomBytes(8 * 1024 * 1024);
    const path = join(folder, 'half.mp4');
    writeFileSync(path, buffer);
    await openDemo();
    // Two of the eight parts go through; the rest wait at the server until the reload.
    await hold('upload-part', { after: 2 });
    await page.setInputFiles('#files', path);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForFunction(() => Number(document.querySelector('#list progress').value) > 20);
    const video = await page.locator('#list .video').textContent();
    await page.reload();
    await page.getByText('Ready.').waitFor();
    await unhold({ drop: true });
    await page.setInputFiles('#files', path);
    await page.getByText(/resumed half\.mp4 at \d+ %/).waitFor();
    const shown = await page.evaluate(() => Number(document.querySelector('#list progress').value));
    assert.ok(shown > 0, 'its progress shows');
    await page.screenshot({ path: join(shots, 'demo-resumed-after-reload.png'), fullPage: true });
    await page.getByRole('button', { name: 'Start' }).click();
    await waitForState(0, 'Success');
    await assertStored(buffer);
    assert.equal(await page.locator('#list .video').textContent(), video, 'the same video');
    assert.deepEqual(dialogs, []);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('in STS mode the page asks VOD itself, and an image shows a link to itself', async () => {
  await openDemo();
  await page.selectOption('#mode', 'sts');
  await page.getByText('STS mode: the page asks VOD for each upload').waitFor();
  const video = randomBytes(1200 * 1024);
  const image = randomBytes(4 * 1024);
  await addFiles([
    { name: 'sts clip.mp4', mimeType: 'video/mp4', buffer: video },
    { name: 'poster.png', mimeType: 'image/png', buffer: image },
  ]);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForState(0, 'Success');
  await waitForState(1, 'Success');
  await assertStored(video);
  await assertStored(image);
  await page.getByText(/uploaded poster\.png as ImageId [0-9a-f]{32}/).waitFor();
  const link = page.locator('#list li[data-index="1"] .image');
  assert.ok(await link.isVisible());
  assert.match(await link.getAttribute('href'), /^http:\/\/vod-local\.localhost:\d+\/image\/default\/[0-9A-F]{32}\.png$/);
  await page.screenshot({ path: join(shots, 'demo-sts-mode.png'), fullPage: true });
  assert.deepEqual(dialogs, []);
});

// --- what the demo shows: speed, settings, faults, the stored copy ---------------------------

// Saves the page at 1280 px and at 390 px, and checks it fits a 390 px screen.
async function shootBothWidths(name) {
  await page.screenshot({ path: join(shots, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px screen`);
  await page.screenshot({ path: join(shots, `${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('while a file uploads, its speed, time left and bytes sent show, and the totals', async () => {
  await openDemo();
  await hold('upload-part');
  const file = { name: 'measured.mp4', mimeType: 'video/mp4', buffer: randomBytes(8 * 1024 * 1024) };
  await addFiles([file]);
  await page.getByRole('button', { name: 'Start' }).click();
  await heldAt({ waiting: 1 });
  const row = page.locator('#list li[data-index="0"]');
  // Nothing moves yet: once the meter has a second of samples it shows a speed of nothing, and
  // no time left.
  await row.locator('.speed', { hasText: /^0 KB\/s$/ }).waitFor();
  assert.equal(await row.locator('.left').textContent(), '');
  // Each part let through is progress within the meter's window: speed and time left show.
  const shown = () => page.evaluate(() => {
    const text = (s) => document.querySelector(`#list li[data-index="0"] ${s}`).textContent;
    return /^(\d+\.\d MB|[1-9]\d* KB)\/s$/.test(text('.speed'))
      && /^(\d+ s|\d+ min \d\d s) left$/.test(text('.left'))
      && /[MK]B\/s$/.test(document.querySelector('#overall .speed').textContent);
  });
  let released = 0;
  do {
    const before = await page.evaluate(() => document.querySelector('#list progress').value);
    await release(1);
    released += 1;
    await page.waitForFunction((v) => document.querySelector('#list progress').value > v, before);
  } while (!(await shown()) && released < 6);
  assert.ok(await shown(), `no speed or time left after ${released} parts`);
  assert.match(await row.locator('.sent').textContent(), /^[\d.]+ [KM]B of 8\.4 MB$/);
  assert.match(await page.locator('#overall .sent').textContent(), / of 8\.4 MB$/);
  await unhold();
  await waitForState(0, 'Success');
  await assertStored(file.buffer);
  // Done: no speed, no time left; everything sent.
  assert.equal(await row.locator('.speed').textContent(), '');
  assert.equal(await row.locator('.left').textContent(), '');
  assert.equal(await row.locator('.sent').textContent(), '8.4 MB of 8.4 MB');
});

// The part count vod-local holds for the completed upload of the object named `name`.
async function partsOf(name) {
  const { uploads } = await admin('GET', 'uploads');
  const upload = uploads.find((u) => u.key.endsWith(`/${name}`) && u.state === 'completed');
  return upload.parts.length;
}

test('a changed part size applies to the files added after it', async () => {
  await openDemo();
  const before = { name: 'before.mp4', mimeType: 'video/mp4', buffer: randomBytes(2 * 1024 * 1024) };
  const after = { name: 'after.mp4', mimeType: 'video/mp4', buffer: randomBytes(2 * 1024 * 1024) };
  await addFiles([before]);
  await page.locator('input[name=partSize]').fill('256');
  await page.locator('input[name=parallel]').fill('2');
  await page.locator('input[name=parallel]').blur();
  await page.getByText(/parts of 256 KiB, 2 in parallel.*for the files added from now on/).waitFor();
  await addFiles([after]);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForState(0, 'Success');
  await waitForState(1, 'Success');
  await assertStored(before.buffer);
  await assertStored(after.buffer);
  assert.deepEqual([await partsOf('before.mp4'), await partsOf('after.mp4')], [2, 8]);
  // A part size the SDK refuses is named, and adds nothing.
  await page.locator('input[name=partSize]').fill('10');
  await page.locator('input[name=partSize]').blur();
  await page.setInputFiles('#files', { name: 'refused.mp4', mimeType: 'video/mp4', buffer: randomBytes(1000) });
  await page.getByText(/refused\.mp4: InvalidPartSize: /).waitFor();
  assert.equal(await page.locator('#list li').count(), 2);
  assert.deepEqual(dialogs, []);
});

test('with renewal on, credentials are renewed before they expire and never run out', async () => {
  // Credentials of 16 s are renewed at half their life (8 s in), as a 30 s timeout would want
  // more than that. The parts wait at the server until the renewal shows, so the upload surely
  // spans it; they were signed with credentials that still have 8 s to live. With renewal off,
  // no renewal shows and the test fails.
  await admin('POST', 'token-ttl', { seconds: 16 });
  await openDemo();
  await page.locator('input[name=autoRefresh]').check();
  await page.locator('input[name=timeout]').fill('30');
  await page.locator('input[name=parallel]').fill('1');
  await page.locator('input[name=parallel]').blur();
  await page.getByText(/1 in parallel, 30 s timeout, .*credentials renewed before they expire, for the files/).waitFor();
  await hold('upload-part');
  const file = { name: 'renewed.mp4', mimeType: 'video/mp4', buffer: randomBytes(8 * 1024 * 1024) };
  await addFiles([file]);
  await page.getByRole('button', { name: 'Start' }).click();
  await heldAt({ waiting: 1 });
  await page.getByText('renewing the credentials of renewed.mp4 before they expire').first().waitFor({ timeout: 60000 });
  await unhold();
  await waitForState(0, 'Success');
  await assertStored(file.buffer);
  assert.equal(await page.getByText(/credentials of renewed\.mp4 expired/).count(), 0);
  assert.deepEqual(dialogs, []);
});

// Presses a fault button, uploads a file and waits for its success; `expect` is what the event
// log must then show. The file arrives byte for byte all the same.
async function faultThenUpload(button, logged, expect, { name, shot } = {}) {
  await page.getByRole('button', { name: button }).click();
  await page.getByText(logged).waitFor();
  const file = { name, mimeType: 'video/mp4', buffer: randomBytes(3 * 1024 * 1024 + 5) };
  await addFiles([file]);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByText(expect).first().waitFor({ timeout: 30000 });
  if (shot) await shootBothWidths(shot);
  await page.locator(`#list li[data-state="Success"] .name`, { hasText: name }).waitFor({ timeout: 60000 });
  await assertStored(file.buffer);
  assert.deepEqual(dialogs, []);
}

test('the 503 button makes the server refuse three parts, and the SDK retries them', async () => {
  await openDemo();
  await faultThenUpload('503 for the next 3 parts', 'the server answers 503 to the next 3 parts',
    /retrying a request of refused\.mp4 after ServiceUnavailable/, { name: 'refused.mp4', shot: 'demo-fault-503' });
  assert.equal(await page.getByText(/retrying a request of refused\.mp4 after ServiceUnavailable/).count(), 3);
});

test('the stall button holds a part beyond the timeout, and the SDK sends it again', async () => {
  await openDemo();
  await page.locator('input[name=timeout]').fill('2');
  await page.locator('input[name=timeout]').blur();
  await faultThenUpload('Stall the next part', 'the server holds the next part unanswered, beyond the request timeout (2 s)',
    /retrying a request of stalled\.mp4 after Timeout/, { name: 'stalled.mp4' });
});

test('the damage button spoils a stored part, and the CRC-64 check sends it again', async () => {
  await openDemo();
  await faultThenUpload('Damage the next part', 'the server stores the next part damaged',
    /retrying a request of damaged\.mp4 after Crc64Mismatch/, { name: 'damaged.mp4' });
});

// Makes a file in the page and drops it on the demo; returns its bytes' MD5. `make` runs in the
// page and resolves to a Blob.
async function dropMade(name, type, make) {
  const bytes = await page.evaluate(async ({ name, type, make }) => {
    const blob = await new Function(`return (${make})()`)();
    const transfer = new DataTransfer();
    transfer.items.add(new File([blob], name, { type }));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, { name, type, make: make.toString() });
  return md5(Buffer.from(bytes));
}

// Two seconds of a moving square on a canvas, recorded as WebM.
function recordVideo() {
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 120;
  const g = canvas.getContext('2d');
  const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm' });
  const chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  let frame = 0;
  const draw = setInterval(() => {
    g.fillStyle = '#1d2330';
    g.fillRect(0, 0, 160, 120);
    g.fillStyle = '#ff6a00';
    g.fillRect((frame * 4) % 140, 40, 20, 20);
    frame += 1;
  }, 40);
  recorder.start(250);
  return new Promise((resolve) => {
    recorder.onstop = () => { clearInterval(draw); resolve(new Blob(chunks, { type: 'video/webm' })); };
    setTimeout(() => recorder.stop(), 2000);
  });
}

function drawImage() {
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 48;
  const g = canvas.getContext('2d');
  g.fillStyle = '#ff6a00';
  g.fillRect(8, 8, 48, 32);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

test('a recorded video plays from the stored copy, and an image shows, with their size and MD5', async () => {
  await openDemo();
  const videoMd5 = await dropMade('recorded.webm', 'video/webm', recordVideo);
  const imageMd5 = await dropMade('drawn.png', 'image/png', drawImage);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForState(0, 'Success');
  await waitForState(1, 'Success');
  const video = page.locator('#list li[data-index="0"] .player video');
  const image = page.locator('#list li[data-index="1"] .player img');
  await video.waitFor();
  await image.waitFor();
  // From vod-local's copy, not from the page's own File.
  assert.match(await video.getAttribute('src'), /^\/api\/media\/[0-9a-f]{32}$/);
  assert.match(await image.getAttribute('src'), /^\/api\/media\/[0-9a-f]{32}$/);
  await page.waitForFunction(() => document.querySelector('#list li[data-index="0"] video').readyState >= 2);
  await page.waitForFunction(() => document.querySelector('#list li[data-index="1"] img').naturalWidth === 64);
  const facts = (index) => page.locator(`#list li[data-index="${index}"] .facts dd`).allTextContents();
  const [, shownVideoMd5] = await facts(0);
  const [, shownImageMd5] = await facts(1);
  assert.deepEqual([shownVideoMd5, shownImageMd5], [videoMd5, imageMd5]);
  assert.match((await facts(0))[0], /bytes, as picked\)$/);
  await shootBothWidths('demo-stored-preview');
  assert.deepEqual(dialogs, []);
});

test('Record: the recording goes up as it records, then plays from the stored copy', async () => {
  await openDemo();
  await page.getByRole('button', { name: 'Record' }).click();
  // Three chunks recorded (a second each), shown with what is in VOD, and the file listed.
  await page.waitForFunction(() => Number(document.getElementById('recording').dataset.chunks) >= 3);
  assert.match(await page.locator('#recording').textContent(), /^Recording .*: [\d.]+ [kKM]?B recorded, [\d.]+ [kKM]?B in VOD$/);
  await page.locator('#list li[data-index="0"]').waitFor();
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await waitForState(0, 'Success');
  const video = page.locator('#list li[data-index="0"] .player video');
  await video.waitFor();
  assert.match(await video.getAttribute('src'), /^\/api\/media\/[0-9a-f]{32}$/);
  await page.waitForFunction(() => document.querySelector('#list li[data-index="0"] video').readyState >= 2);
  const inVod = (await page.locator('#log li').allTextContents()).find((l) => / was in VOD \d+ ms after the recording stopped/.test(l));
  assert.ok(inVod, 'the time from stop to VOD is shown');
  console.log(`# demo: ${inVod.trim()}`);
  await shootBothWidths('demo-recording');
  assert.deepEqual(dialogs, []);
});
