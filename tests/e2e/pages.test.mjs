// The demo page, the script-tag page and the Vite-built page in Debian's Chromium, driven by
// Playwright as a person would use them. `cargo xtask test` starts vod-local (which serves all
// three) and sets VOD_LOCAL_URL. Each test saves a screenshot under target/e2e/.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, assertStored, launch, shots, site } from './support.mjs';

let browser;
let page;
let dialogs;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

beforeEach(async () => {
  await admin('DELETE', 'faults');
  await admin('DELETE', 'csp');
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on('pageerror', (error) => dialogs.push(`page error: ${error.message}`));
});

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
  await page.screenshot({ path: join(shots, 'demo-three-files-1280.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px screen`);
  await page.screenshot({ path: join(shots, 'demo-three-files-390.png'), fullPage: true });
  assert.deepEqual(dialogs, []);
});

// Starts an 8 MiB upload whose parts the server stalls, and waits for its first progress, so
// that what the test does next surely lands mid-upload.
async function startSlowUpload(name) {
  await openDemo();
  await admin('POST', 'faults', { action: 'stall', ms: 600, fraction: 1 });
  const file = { name, mimeType: 'video/mp4', buffer: randomBytes(8 * 1024 * 1024) };
  await addFiles([file]);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForFunction(() => Number(document.querySelector('#list progress').value) > 0);
  return file;
}

test('Stop mid-upload, then Start again, completes', async () => {
  const file = await startSlowUpload('long.mp4');
  await page.getByRole('button', { name: 'Stop' }).click();
  assert.equal(await rowState(0), 'Stopped');
  await page.screenshot({ path: join(shots, 'demo-stopped.png'), fullPage: true });
  await admin('DELETE', 'faults');
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForState(0, 'Success');
  await assertStored(file.buffer);
  // Only parts in flight at Stop (5 at most) may go again: the server may have stored one whose
  // answer the page never saw, while its stall was still running.
  const { uploads } = await admin('GET', 'uploads');
  const upload = uploads.find((u) => u.key.endsWith('/long.mp4') && u.state === 'completed');
  const stored = upload.parts.reduce((sum, p) => sum + p.stored, 0);
  assert.ok(stored <= upload.parts.length + 5, `${stored} stores for ${upload.parts.length} parts`);
});

test('credentials expired from the page are refreshed and the upload resumes', async () => {
  const file = await startSlowUpload('expiring.mp4');
  await page.getByRole('button', { name: 'Expire credentials' }).click();
  await page.getByText('resumed expiring.mp4 with fresh credentials').waitFor({ timeout: 30000 });
  await page.getByText('credentials of expiring.mp4 expired').waitFor();
  await admin('DELETE', 'faults');
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
  await admin('DELETE', 'faults');
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

// Console messages of the page, kept as they come.
function consoleOf(page) {
  const messages = [];
  page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
  return messages;
}

// vod-local serves the pages and the SDK with this Content-Security-Policy header, until the
// next test (a header, not a Playwright route: a page fulfilled by Playwright counts as public,
// and Chromium would then refuse its requests to the loopback address).
async function withPolicy(policy) {
  await admin('POST', 'csp', { policy });
}

// What a page that allows nothing but its own scripts and WebAssembly needs: no inline script,
// no 'unsafe-eval'; requests may go to its own origin and the buckets' (virtual-hosted, as
// *.aliyuncs.com would be).
const STRICT = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${site.replace('//', '//*.')}`;
const PAGE_HASHING = "parts are hashed on the page's thread";

async function uploadThrough(path, shot) {
  await page.goto(`${site}${path}`);
  await page.getByText('Pick a file.').waitFor();
  const buffer = randomBytes(1500 * 1024);
  await page.setInputFiles('#file', { name: 'single.mp4', mimeType: 'video/mp4', buffer });
  await page.getByText(/uploaded single\.mp4 as VideoId [0-9a-f]{32}/).waitFor({ timeout: 30000 });
  await assertStored(buffer);
  await page.screenshot({ path: join(shots, shot) });
  assert.deepEqual(dialogs, []);
}

test('the script-tag build uploads from a page with one plain <script src>', async () => {
  await uploadThrough('/script-tag.html', 'script-tag.png');
  const scripts = await page.locator('script[src]').evaluateAll((s) => s.map((e) => [e.getAttribute('src'), e.type]));
  // The SDK is one script; the page's own code is the second.
  assert.deepEqual(scripts, [['/dist/vod-upload.js', ''], ['/script-tag.js', '']]);
});

test('under a strict Content-Security-Policy the script-tag page uploads, hashing in a Worker', async () => {
  const messages = consoleOf(page);
  await withPolicy(`${STRICT}; worker-src blob:`);
  await uploadThrough('/script-tag.html', 'script-tag-strict-csp.png');
  assert.deepEqual(messages.filter((m) => m.includes(PAGE_HASHING) || m.startsWith('error')), []);
});

test('where the policy forbids workers, parts are hashed on the page after one console note', async () => {
  const messages = consoleOf(page);
  await withPolicy(`${STRICT}; worker-src 'none'`);
  await uploadThrough('/script-tag.html', 'script-tag-no-worker.png');
  assert.equal(messages.filter((m) => m.includes(PAGE_HASHING)).length, 1, messages.join('\n'));
});

// The script tag as the README shows it, with `integrity` (computed here, apart from xtask's)
// and `crossorigin`, added to an empty page of the site; resolves to whether VodUpload.ready did.
const dist = join(dirname(fileURLToPath(import.meta.url)), '../../dist');

async function loadWithIntegrity() {
  const script = readFileSync(join(dist, 'vod-upload.js'));
  const integrity = `sha384-${createHash('sha384').update(script).digest('base64')}`;
  await page.goto(`${site}/blank.html`);
  return page.evaluate((integrity) => new Promise((resolve) => {
    const tag = document.createElement('script');
    tag.src = '/dist/vod-upload.js';
    tag.integrity = integrity;
    tag.crossOrigin = 'anonymous';
    tag.onerror = () => resolve('script refused');
    tag.onload = () => window.VodUpload.ready.then(
      (sdk) => resolve(typeof sdk.VodUploader === 'function' ? 'ready' : 'no VodUploader'),
      (e) => resolve(`not ready: ${e}`),
    );
    document.head.append(tag);
  }), integrity);
}

test('the script tag with its integrity value loads, and a wasm not the one it was built with is refused', async () => {
  assert.equal(await loadWithIntegrity(), 'ready');
  // The same tag, the wasm's bytes changed on the way: the script's fetch of it fails its check.
  await page.route('**/dist/vod-upload_bg.wasm', async (route) => {
    const body = readFileSync(join(dist, 'vod-upload_bg.wasm'));
    body[body.length - 1] ^= 1;
    await route.fulfill({ status: 200, body, headers: { 'content-type': 'application/wasm' } });
  });
  const messages = consoleOf(page);
  assert.match(await loadWithIntegrity(), /^not ready/);
  assert.ok(messages.some((m) => m.includes('integrity') && m.includes('vod-upload_bg.wasm')), messages.join('\n'));
  await page.screenshot({ path: join(shots, 'script-tag-integrity.png') });
});

test('the page Vite built from examples/vite with the web build uploads', async () => {
  await uploadThrough('/vite/', 'vite-web.png');
});

test('the page Vite built from examples/vite with the bundler build uploads', async () => {
  await uploadThrough('/vite/bundler.html', 'vite-bundler.png');
});

test('a file waits while the browser is offline and goes on by itself when it is back', async () => {
  const file = await startSlowUpload('offline.mp4');
  await page.context().setOffline(true);
  await waitForState(0, 'Waiting', 10000);
  await page.getByText('offline.mp4 waits for the network (NetworkOffline)').waitFor();
  await page.screenshot({ path: join(shots, 'demo-waiting-offline.png'), fullPage: true });
  await admin('DELETE', 'faults');
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
    await admin('POST', 'faults', { action: 'stall', ms: 600, fraction: 1 });
    await page.setInputFiles('#files', path);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForFunction(() => Number(document.querySelector('#list progress').value) > 20);
    const video = await page.locator('#list .video').textContent();
    await page.reload();
    await page.getByText('Ready.').waitFor();
    await admin('DELETE', 'faults');
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
