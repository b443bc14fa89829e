// The script-tag page and the pages bundlers built from the package in Debian's Chromium,
// driven by Playwright as a person would use them. `cargo xtask test` starts vod-local (which
// serves them) and sets VOD_LOCAL_URL. Each test saves a screenshot under target/e2e/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, assertStored, freshPages, shots, site } from './support.mjs';

let page;
let dialogs;
freshPages((p, d) => { page = p; dialogs = d; });

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
const PAGE_HASHING = "parts are hashed and sent on the page's thread";

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

test('where the policy forbids workers, parts are hashed and sent on the page after one console note', async () => {
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

// Each example app installs the package as a user does, from the tarball `npm pack` made of
// pkg/ (cargo xtask test packs and installs it): a copy, not a link to pkg/, and the wasm just
// built. Then the page it built uploads, with nothing on the console: no error, and no note that
// a Worker was refused (the bundler build hashes on the page by design, without one).
const examples = join(dirname(fileURLToPath(import.meta.url)), '../../examples');

function assertInstalledFromTarball(app) {
  const installed = join(examples, app, 'node_modules/vod-upload');
  assert.ok(!lstatSync(installed).isSymbolicLink(), `${app} links to the package instead of installing it`);
  const wanted = JSON.parse(readFileSync(join(examples, app, 'package.json')));
  assert.equal(wanted.dependencies?.['vod-upload'], undefined, `${app} names the package by path`);
  const built = readFileSync(join(examples, '../pkg/vod_upload_bg.wasm'));
  assert.ok(readFileSync(join(installed, 'vod_upload_bg.wasm')).equals(built), `${app} has an older build`);
}

async function uploadThroughApp(app, path, shot) {
  assertInstalledFromTarball(app);
  const messages = consoleOf(page);
  await uploadThrough(path, shot);
  assert.deepEqual(messages.filter((m) => m.includes(PAGE_HASHING) || m.startsWith('error')), []);
}

test('the page Vite built from examples/vite with the web build uploads', async () => {
  await uploadThroughApp('vite', '/vite/', 'vite-web.png');
});

test('the page Vite built from examples/vite with the bundler build uploads', async () => {
  await uploadThroughApp('vite', '/vite/bundler.html', 'vite-bundler.png');
});

test('the page webpack 5 built from examples/webpack with the web build and init() uploads', async () => {
  await uploadThroughApp('webpack', '/webpack/web.html', 'webpack-web.png');
});

test('the page webpack 5 built from examples/webpack with the bundler build and asyncWebAssembly uploads', async () => {
  await uploadThroughApp('webpack', '/webpack/bundler.html', 'webpack-bundler.png');
});

test('the plain <script type="module"> page of examples/module, with the package beside it, uploads', async () => {
  await uploadThroughApp('module', '/module/', 'module-page.png');
});
