// A long session stays small: one uploader of the shipped build takes 1,000 files of mixed
// sizes (1 byte to 3 MiB, single-part and multipart), in ten batches of 100, while vod-local
// fails or breaks about 5 % of the answers (UploadPart 503s, PutObject proxy pages, Initiate
// answers cut short, Complete answers lost on the way back). Every file must arrive byte for
// byte. The wasm's linear memory and the page's JS heap (after a garbage collection) are
// printed after every batch: figures, not a timed pass or fail. The bounds asserted: the wasm
// memory after 1,000 files is at most twice what 100 needed, and once the list is emptied,
// 1,000 more files (deleted batch by batch) leave both memories where the first batch left them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { admin, resetServer } from './support.mjs';
import { useLab } from './lab.mjs';
import { xorshift } from './session.js';

const lab = useLab(() => resetServer());

const FILES = 1000;
const BATCH = 100;
const KIB = 1024;
const MIB = 1024 * KIB;

// The files' sizes, the same every run: 60 % up to 100 KiB (spread over the orders of
// magnitude), 30 % up to 1 MiB (one part), 10 % of 1 to 3 MiB (multipart).
function sizes() {
  const next = xorshift(2026);
  const unit = () => next() / 2 ** 32;
  return Array.from({ length: FILES }, () => {
    const r = unit();
    if (r < 0.6) return Math.max(1, Math.floor(Math.exp(unit() * Math.log(100 * KIB))));
    if (r < 0.9) return 100 * KIB + Math.floor(unit() * (MIB - 100 * KIB));
    return MIB + 1 + Math.floor(unit() * 2 * MIB);
  });
}

test('1,000 files with 5 % failures all arrive, and the memory grows only with the list', { timeout: 900000 }, async () => {
  const errors = await lab.open({});
  await admin('POST', 'faults', { action: 'fail', status: 503, fraction: 0.05 });
  await admin('POST', 'broken', [
    { operation: 'put-object', kind: 'html', fraction: 0.05 },
    { operation: 'initiate', kind: 'truncated', fraction: 0.05, done: false },
    { operation: 'complete', kind: 'empty', fraction: 0.05 },
  ]);
  const cdp = await lab.context.newCDPSession(lab.page);
  await lab.page.evaluate(() => {
    const s = { succeeded: 0, failed: [], retries: 0 };
    window.session = s;
    s.uploader = new window.lab.VodUploader({
      getUploadAuth: (info) => window.lab.ask('/api/upload-auth', { title: info.name, fileName: info.name, fileSize: info.size }),
      onUploadSucceed: () => { s.succeeded += 1; },
      onUploadFailed: (info, code, message) => { s.failed.push(`${info.name}: ${code} ${message}`); },
      onUploadRetry: () => { s.retries += 1; },
    });
  });
  const memory = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const wasm = await lab.page.evaluate(() => window.lab.memory.buffer.byteLength);
    return { wasm, heap: usedSize };
  };
  const all = sizes();
  // Adds files `first`.. of `lengths` (file i has the bytes of generator i + 1) and uploads them
  // to their end.
  const uploadBatch = async (first, lengths, ended) => {
    await lab.page.evaluate(async ([from, batch, source]) => {
      // The same generator as the test's, from its source.
      const xorshift = new Function(`return ${source}`)();
      const s = window.session;
      batch.forEach((length, i) => {
        const next = xorshift(from + i + 1);
        const bytes = new Uint8Array(length);
        for (let j = 0; j < length; j += 1) bytes[j] = next() & 255;
        s.uploader.addFile(new File([bytes], `session ${from + i}.bin`));
      });
      s.uploader.start();
    }, [first, lengths, xorshift.toString()]);
    await lab.page.waitForFunction((n) => window.session.succeeded + window.session.failed.length >= n,
      ended, { timeout: 600000, polling: 200 });
  };
  const figures = [];
  const started = Date.now();
  for (let first = 0; first < FILES; first += BATCH) {
    await uploadBatch(first, all.slice(first, first + BATCH), first + BATCH);
    figures.push({ files: first + BATCH, ...(await memory()) });
  }
  const seconds = (Date.now() - started) / 1000;
  const { succeeded, failed, retries, listed } = await lab.page.evaluate(() => ({
    ...window.session,
    uploader: undefined,
    listed: window.session.uploader.listFiles().map(({ name, size, state, object }) => ({ name, size, state, object })),
  }));
  assert.deepEqual(failed, []);
  assert.equal(succeeded, FILES);
  // Byte for byte: every object's MD5 is that of the bytes generated for its file.
  const { objects } = await admin('GET', 'objects');
  const md5ByKey = new Map(objects.map((o) => [o.key, o.md5]));
  for (const file of listed) {
    const index = Number(file.name.match(/\d+/)[0]);
    const next = xorshift(index + 1);
    const bytes = Buffer.alloc(file.size);
    for (let j = 0; j < file.size; j += 1) bytes[j] = next() & 255;
    assert.equal(md5ByKey.get(file.object), createHash('md5').update(bytes).digest('hex'), file.name);
  }
  await lab.assertNoOpenUpload();
  const total = all.reduce((a, b) => a + b, 0);
  const multipart = all.filter((size) => size > MIB).length;
  console.log(`# session: ${FILES} files, ${(total / MIB).toFixed(0)} MiB, ${multipart} multipart, ${retries} retries, all arrived, in ${seconds.toFixed(0)} s`);
  console.log('# session: files  wasm memory KiB  JS heap KiB');
  for (const f of figures) {
    console.log(`# session: ${String(f.files).padStart(5)}  ${String(f.wasm / KIB).padStart(15)}  ${String(Math.round(f.heap / KIB)).padStart(11)}`);
  }
  const [after100, after1000] = [figures[0], figures[figures.length - 1]];
  console.log(`# session: from 100 to 1,000 files the wasm memory grew ${((after1000.wasm - after100.wasm) / KIB).toFixed(0)} KiB, the JS heap ${((after1000.heap - after100.heap) / KIB).toFixed(0)} KiB (${((after1000.heap - after100.heap) / 900).toFixed(0)} bytes a file)`);
  assert.ok(after1000.wasm <= 2 * after100.wasm, 'the wasm memory more than doubled from 100 to 1,000 files');

  // The list's growth apart: the 1,000 files are deleted, then 1,000 more go through 100 at a
  // time, each batch deleted once it has ended. The live data no longer grows, so neither may
  // the memory: the allocator reuses what was freed, and nothing is left behind per request.
  const deleteAll = () => lab.page.evaluate(() => {
    const { uploader } = window.session;
    for (const { index } of uploader.listFiles()) uploader.deleteFile(index);
  });
  await deleteAll();
  const emptied = await memory();
  const steady = [];
  for (let first = FILES; first < FILES + 1000; first += BATCH) {
    await uploadBatch(first, all.slice(first - FILES, first - FILES + BATCH), first + BATCH);
    await deleteAll();
    steady.push(await memory());
  }
  const failedLater = await lab.page.evaluate(() => window.session.failed);
  assert.deepEqual(failedLater, []);
  console.log(`# session: the list emptied: wasm memory ${emptied.wasm / KIB} KiB, JS heap ${Math.round(emptied.heap / KIB)} KiB`);
  console.log(`# session: 10 more batches of 100, each deleted when done: wasm memory KiB ${steady.map((f) => f.wasm / KIB).join(', ')}; JS heap KiB ${steady.map((f) => Math.round(f.heap / KIB)).join(', ')}`);
  // Once the first of those batches has set its high-water mark, neither memory creeps: the
  // own power-of-two allocator this replaced crept 1 MiB over the same 1,000 files, and a
  // JsFuture per request time-out 50 KiB of JS heap per 100 files.
  const [first, last] = [steady[0], steady[steady.length - 1]];
  assert.ok(last.wasm <= first.wasm + MIB, 'the wasm memory crept while the live data did not grow');
  assert.ok(last.heap <= first.heap + 128 * KIB, 'the JS heap crept while the live data did not grow');
  assert.deepEqual(errors, []);
});
