// Resume across page loads in Debian's Chromium, on the lab page (lab.mjs): a reload, a closed
// and reopened page, another file that looks the same, a vod-local killed and restarted
// mid-upload, and deleteFile after a checkpoint. After each, nothing secret is in the page's
// storage and no multipart upload is left open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { heldAt, hold, resetServer, unhold } from './support.mjs';
import { MIB, useLab } from './lab.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const options = { partSize: MIB, parallel: 2, retryCount: 6, retryDuration: 300 };

const lab = useLab(() => resetServer());

test('a reload mid-upload: the same file picked again resumes in the same video', async () => {
  await lab.interruptAndResume(options, 'reloaded.mp4', () => lab.reload(options));
});

test('the page closed mid-upload and a new one opened: the upload resumes', async () => {
  await lab.interruptAndResume(options, 'reopened.mp4', async () => {
    await lab.page.close();
    await lab.open(options);
  });
});

test('another file with the same name, size and date uploads as a new video', async () => {
  await lab.open(options);
  await hold('upload-part', { after: 2 });
  const name = 'lookalike.mp4';
  await lab.addFile(name, 6 * MIB);
  await lab.start();
  await lab.until('progress', 2);
  const first = await lab.info();
  await lab.reload(options);
  await unhold({ drop: true });
  // Other bytes under the same name, size and modification time.
  const path = lab.path(name);
  // Seconds as a fraction: a Date would round to the millisecond, unlike the browser.
  const { atimeMs, mtimeMs } = statSync(path);
  const other = randomBytes(6 * MIB);
  writeFileSync(path, other);
  utimesSync(path, atimeMs / 1000, mtimeMs / 1000);
  const again = await lab.pick(path);
  assert.ok(again.resumed, 'it looks like the same file');
  await lab.start();
  await lab.until('succeed');
  const done = await lab.info();
  assert.notEqual(done.videoId, first.videoId, 'a new video');
  await lab.assertArrived(name, other);
  const old = await lab.counted(first.object);
  assert.deepEqual(old.uploads, ['aborted'], 'the old multipart upload is aborted');
  console.log(`# ${name}: old VideoId ${first.videoId} (upload ${old.uploads}), new VideoId ${done.videoId}`);
  await lab.assertNoSecretStored();
  await lab.assertNoOpenUpload();
});

// A vod-local of the test's own, so that it can be killed: on a port of its own, with a data
// folder that outlives it.
class OwnServer {
  constructor() {
    this.data = mkdtempSync(join(tmpdir(), 'vod-local-e2e-'));
  }

  async start(listen = '127.0.0.1:0') {
    const bin = process.env.VOD_LOCAL_BIN;
    assert.ok(bin, 'VOD_LOCAL_BIN is not set: run this through `cargo xtask test`');
    this.child = spawn(bin, ['--listen', listen, '--data', this.data, '--www', join(root, 'www'),
      '--pkg', join(root, 'pkg'), '--dist', join(root, 'dist')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: this.child.stdout });
    const [first] = await once(lines, 'line');
    lines.on('line', () => {});
    this.url = first.replace('vod-local listening on ', '');
    return this.url;
  }

  async kill() {
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }

  async stop() {
    if (this.child && this.child.exitCode === null) await this.kill();
    rmSync(this.data, { recursive: true, force: true });
  }
}

test('vod-local killed and restarted mid-upload: the upload goes on by itself', async () => {
  const server = new OwnServer();
  try {
    const url = await server.start();
    const errors = await lab.open(options, { server: url });
    // Two parts go through; the server is killed while it holds the next ones.
    await hold('upload-part', { after: 2 }, url);
    const { buffer } = await lab.addFile('server restarted.mp4', 8 * MIB);
    await lab.start();
    await lab.until('progress', 2);
    await heldAt({ waiting: 1 }, url);
    await server.kill();
    await lab.until('retry', 1, 30000);
    await server.start(url.replace('http://', ''));
    await lab.until('succeed', 1, 60000);
    const retries = (await lab.events()).filter((e) => e.kind === 'retry').map((e) => e.rest[0]);
    assert.ok(retries.includes('NetworkError'), retries.join());
    assert.equal(await lab.count('failed'), 0);
    await lab.assertArrived('server restarted.mp4', buffer);
    console.log(`# server restarted.mp4: retries while the server was down: ${retries.join()}`);
    await lab.assertProgressNeverWentBack();
    await lab.assertNoSecretStored();
    await lab.assertNoOpenUpload();
    assert.deepEqual(errors, []);
  } finally {
    await server.stop();
  }
});

test('deleteFile after a checkpoint was written leaves no checkpoint and no open upload', async () => {
  await lab.open(options);
  await hold('upload-part', { after: 1 });
  await lab.addFile('deleted.mp4', 6 * MIB);
  await lab.start();
  await lab.until('progress', 1);
  assert.equal((await lab.checkpoints()).length, 1);
  const { object } = await lab.info();
  await lab.page.evaluate(() => window.lab.uploader.deleteFile(0));
  await lab.page.waitForFunction(
    () => !Object.keys(localStorage).some((k) => k.startsWith('vod-upload:checkpoint:')),
  );
  await lab.assertNoOpenUpload();
  assert.deepEqual((await lab.counted(object)).uploads, ['aborted']);
  await lab.assertNoSecretStored();
});
