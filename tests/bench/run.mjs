// `cargo xtask bench`: the SDK next to plain parallel fetch (the limit) and ali-oss's browser
// build, in one headless Chromium, against one release vod-local (VOD_LOCAL_URL), on loopback
// and through a shaped WAN link. Chromium is driven over the DevTools protocol on a pipe, with
// no Network domain enabled (it would distort XHR timing), and measured from outside the page.
// Prints figures; fails only when an upload fails.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLink } from './link.mjs';

const server = process.env.VOD_LOCAL_URL;
if (!server) throw new Error('VOD_LOCAL_URL is not set: run this through `cargo xtask bench`');
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const MIB = 1 << 20;
const PART = MIB;
const PARALLEL = 5;
const WAN = { rttMs: 40, mbit: 100 };
const CALL_LIMIT_MS = 10 * 60 * 1000;

// The page and what it loads, from this machine, on loopback.
function servePage() {
  const files = {
    '/': 'tests/bench/page.html',
    '/page.mjs': 'tests/bench/page.mjs',
    '/plain.mjs': 'tests/bench/plain.mjs',
    '/ali-oss.js': 'tests/interop/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js',
    '/pkg/index.js': 'pkg/index.js',
    '/pkg/vod_upload.js': 'pkg/vod_upload.js',
    '/pkg/vod_upload_bg.wasm': 'pkg/vod_upload_bg.wasm',
  };
  const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const http = createServer((request, response) => {
    const path = files[new URL(request.url, 'http://x').pathname];
    if (!path) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(path)], 'cache-control': 'no-store' });
    response.end(readFileSync(join(root, path)));
  });
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve(http)));
}

// A DevTools protocol client on Chromium's pipe (fd 3 to the browser, fd 4 from it).
function launchChromium(profileDir) {
  const child = spawn('/usr/bin/chromium', [
    '--headless=new', '--remote-debugging-pipe', '--no-sandbox', '--disable-gpu',
    '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--enable-precise-memory-info', `--user-data-dir=${profileDir}`,
    'about:blank',
  ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const pending = new Map();
  let nextId = 1;
  let buffer = '';
  child.stdio[4].on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      const waiter = pending.get(message.id);
      if (!waiter) continue;
      pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
      else waiter.resolve(message.result);
    }
  });
  // A call the browser never answers fails after CALL_LIMIT_MS (the longest, a 2 GiB upload,
  // takes under a minute here) rather than holding the bench for ever.
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`${method} ${params.expression ?? ''}: no answer from Chromium in ${CALL_LIMIT_MS / 1000} s`));
    }, CALL_LIMIT_MS);
    const settle = (then) => (value) => {
      clearTimeout(timer);
      then(value);
    };
    pending.set(id, { resolve: settle(resolve), reject: settle(reject), method });
    child.stdio[3].write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    send,
    close() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A page in a browser context of its own (through `proxy`, if given), ready to bench.
async function openPage(browser, url, proxy) {
  const { browserContextId } = await browser.send('Target.createBrowserContext',
    proxy ? { proxyServer: proxy, proxyBypassList: '<-loopback>' } : {});
  const { targetId } = await browser.send('Target.createTarget', { url, browserContextId });
  const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
  const send = (method, params) => browser.send(method, params, sessionId);
  await send('Performance.enable', {});
  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.exception?.description || exceptionDetails.text}`);
    return result.value;
  };
  for (let i = 0; await evaluate('window.benchReady === true') !== true; i++) {
    if (i > 600) throw new Error('the bench page did not load');
    await sleep(100);
  }
  return {
    send,
    evaluate,
    close: () => browser.send('Target.disposeBrowserContext', { browserContextId }),
  };
}

// The renderers' resident memory, in bytes, from /proc: in all, and its private and shared
// parts (shared memory carries the data pipes between the renderer and the browser).
async function rendererRss(browser) {
  const { processInfo } = await browser.send('SystemInfo.getProcessInfo');
  const total = { rss: 0, anon: 0, shmem: 0 };
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const status = readFileSync(`/proc/${p.id}/status`, 'utf8');
      const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)[1]) * 1024;
      total.rss += kb('VmRSS');
      total.anon += kb('RssAnon');
      total.shmem += kb('RssShmem');
    } catch { /* gone */ }
  }
  return total;
}

async function heap(page) {
  const usage = await page.send('Runtime.getHeapUsage', {});
  return { js: usage.usedSize, buffers: usage.backingStorageSize ?? NaN };
}

async function mainThreadMs(page) {
  const { metrics } = await page.send('Performance.getMetrics', {});
  return metrics.find((m) => m.name === 'TaskDuration').value * 1000;
}

// One upload, with what it cost: time, heap and buffer growth at their peak, main-thread time.
async function measure(browser, page, uploader, set) {
  await page.send('HeapProfiler.collectGarbage', {});
  const before = await heap(page);
  const rssBefore = await rendererRss(browser);
  const busyBefore = await mainThreadMs(page);
  const peak = { js: 0, buffers: 0, rss: 0, anon: 0, shmem: 0 };
  let running = true;
  const sampler = (async () => {
    while (running) {
      const now = await heap(page);
      peak.js = Math.max(peak.js, now.js - before.js);
      peak.buffers = Math.max(peak.buffers, now.buffers - before.buffers);
      const rss = await rendererRss(browser);
      for (const part of ['rss', 'anon', 'shmem']) {
        peak[part] = Math.max(peak[part], rss[part] - rssBefore[part]);
      }
      await sleep(50);
    }
  })();
  try {
    const ms = await page.evaluate(`bench.upload(${JSON.stringify(uploader)}, ${JSON.stringify(set)})`);
    return { ms, busy: (await mainThreadMs(page)) - busyBefore, ...peak };
  } finally {
    running = false;
    await sampler;
  }
}

// A 2 GiB file on disk (sparse: zeros that take no room), too big to build in the page.
function huge(dir) {
  const path = join(dir, 'huge.mp4');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 2048 * MIB);
  closeSync(fd);
  return path;
}

// Puts a file from disk into the page's file input, as a user picking it would.
async function pick(page, path) {
  const { root } = await page.send('DOM.getDocument', {});
  const { nodeId } = await page.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#pick' });
  await page.send('DOM.setFileInputFiles', { nodeId, files: [path] });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (bytes) => (bytes / 1e6).toFixed(1);
const pad = (text, width) => String(text).padStart(width);

// Every uploader on one workload, alternating round by round; prints a table.
async function compare(browser, page, title, set, bytes) {
  const uploaders = ['fetch', 'sdk', 'sdk-nocrc', 'ali-oss'];
  const runs = Object.fromEntries(uploaders.map((u) => [u, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const uploader of uploaders) runs[uploader].push(await measure(browser, page, uploader, set));
  }
  const limit = median(runs.fetch.map((r) => r.ms));
  console.log(`\n${title}: median of ${ROUNDS}, peaks over each run`);
  console.log(`  ${'uploader'.padEnd(9)} ${pad('ms', 7)} ${pad('MB/s', 7)} ${pad('×limit', 7)} ${pad('JS heap MB', 11)} ${pad('buffers MB', 11)} ${pad('renderer MB', 12)} ${pad('main thread ms', 15)}`);
  const medians = {};
  const busy = {};
  for (const uploader of uploaders) {
    const r = runs[uploader];
    const ms = median(r.map((x) => x.ms));
    medians[uploader] = ms;
    busy[uploader] = median(r.map((x) => x.busy));
    console.log(`  ${uploader.padEnd(9)} ${pad(ms.toFixed(0), 7)} ${pad((bytes / 1e3 / ms).toFixed(1), 7)} ${pad((ms / limit).toFixed(3), 7)} ${pad(mb(median(r.map((x) => x.js))), 11)} ${pad(mb(median(r.map((x) => x.buffers))), 11)} ${pad(mb(median(r.map((x) => x.rss))), 12)} ${pad(median(r.map((x) => x.busy)).toFixed(0), 15)}`);
  }
  console.log(`  SDK/limit = ${(medians.sdk / limit).toFixed(3)} (${(medians['sdk-nocrc'] / limit).toFixed(3)} without CRC-64 checks), main thread SDK/fetch = ${(busy.sdk / busy.fetch).toFixed(2)}, ali-oss/SDK = ${(medians['ali-oss'] / medians.sdk).toFixed(2)} (times; above 1 the SDK is faster)`);
  return { time: medians.sdk / limit, busy: busy.sdk / busy['ali-oss'] };
}

// The goals, each with what was measured, as the last lines.
function verdicts(goals) {
  console.log('\n=== goals (CRC-64 on)');
  for (const [what, value, goal, met] of goals) {
    console.log(`  ${what.padEnd(58)} ${pad(value, 7)}  goal ${goal.padEnd(7)} ${met ? 'met' : 'NOT met'}`);
  }
}

// A 1 GiB stream made in the page as it is read, uploaded with addStream in a fresh page: what
// the renderer holds at its peak, against parallel × partSize and one part more.
async function streamed(browser, pageUrl, goals) {
  const page = await openPage(browser, pageUrl, null);
  await page.evaluate('bench.load()');
  await page.evaluate(`bench.makeStream('stream', ${1024 * MIB})`);
  const run = await measure(browser, page, 'sdk-stream', 'stream');
  await page.close();
  const bound = (PARALLEL + 1) * PART;
  const slack = 8 * MIB;
  console.log(`\n1 GiB stream made as it is read (addStream), in a fresh page (bound: (parallel + 1) × partSize = ${mb(bound)} MB, and the 8 MiB the 2 GiB file is allowed)`);
  console.log(`  SDK ${run.ms.toFixed(0)} ms (${(1024 * MIB / 1e3 / run.ms).toFixed(0)} MB/s); renderer memory grew ${mb(run.rss)} MB at its peak (private ${mb(run.anon)} MB, shared ${mb(run.shmem)} MB, peaks apart); JS heap ${mb(run.js)} MB, buffers ${mb(run.buffers)} MB`);
  goals.push(['1 GiB stream: renderer memory growth, MB', mb(run.rss), `≤ ${mb(bound + slack)}`, run.rss <= bound + slack]);
}

async function main() {
  const http = await servePage();
  const link = await startLink(WAN);
  const profile = mkdtempSync(join(tmpdir(), 'vod-bench-'));
  const browser = launchChromium(profile);
  const pageUrl = `http://localhost:${http.address().port}/?server=${encodeURIComponent(server)}`;
  const goals = [];
  try {
    // BENCH_ONLY=stream: the stream's figures alone.
    if (process.env.BENCH_ONLY === 'stream') {
      await streamed(browser, pageUrl, goals);
      verdicts(goals);
      return;
    }
    for (const [name, proxy] of [['loopback', null], [`WAN ${WAN.rttMs} ms round trip, ${WAN.mbit} Mbit/s each way`, link.url]]) {
      const page = await openPage(browser, pageUrl, proxy);
      console.log(`\n=== ${name}`);
      const loadMs = await page.evaluate('bench.load()');
      console.log(`SDK wasm fetched, compiled and instantiated in ${loadMs.toFixed(1)} ms`);
      await page.evaluate(`bench.makeFiles('large', 1, ${64 * MIB})`);
      const carried = link.carried().up;
      const started = performance.now();
      const large = await compare(browser, page, 'one 64 MiB file', 'large', 64 * MIB);
      if (proxy) {
        goals.push(['64 MiB over the WAN: time, × plain fetch', large.time.toFixed(3), '≤ 1.03', large.time <= 1.03]);
      } else {
        goals.push(['64 MiB on loopback: time, × plain fetch', large.time.toFixed(3), '≤ 1.05', large.time <= 1.05]);
        goals.push(['64 MiB on loopback: renderer main thread, × ali-oss', large.busy.toFixed(3), '≤ 0.25', large.busy <= 0.25]);
      }
      if (proxy) {
        // Everything of the 64 MiB runs went through the link: it must not carry more than it may.
        const seconds = (performance.now() - started) / 1000;
        const rate = ((link.carried().up - carried) * 8) / 1e6 / seconds;
        console.log(`  the link carried ${mb(link.carried().up - carried)} MB up in ${seconds.toFixed(1)} s: ${rate.toFixed(1)} Mbit/s on average, cap ${WAN.mbit}${rate > WAN.mbit * 1.02 ? '  WARNING: above the cap' : ''}`);
      }
      await page.evaluate("bench.forget('large')");
      await page.evaluate(`bench.makeFiles('small', 100, 300000)`);
      await compare(browser, page, '100 files of 300 KB', 'small', 100 * 300000);
      await page.evaluate("bench.forget('small')");
      await page.close();
      if (!proxy) {
        // Each uploader in a page of its own, plain fetch first: what a renderer holds at its
        // peak depends on what ran in it before and on when it collects its garbage.
        const path = huge(profile);
        const runs = {};
        for (const uploader of ['fetch', 'sdk']) {
          const fresh = await openPage(browser, pageUrl, null);
          await fresh.evaluate('bench.load()');
          await pick(fresh, path);
          await fresh.evaluate("bench.takePicked('huge')");
          const memoryBefore = await fresh.evaluate('bench.wasmMemory()');
          runs[uploader] = await measure(browser, fresh, uploader, 'huge');
          runs[uploader].wasm = (await fresh.evaluate('bench.wasmMemory()')) - memoryBefore;
          await fresh.close();
        }
        const bound = PARALLEL * PART + 8 * MIB;
        const { sdk, fetch } = runs;
        goals.push(['2 GiB from disk: renderer memory growth, MB', mb(sdk.rss), `≤ ${mb(bound)}`, sdk.rss <= bound]);
        console.log(`\n2 GiB from disk, each in a fresh page (bound: parallel × partSize + 8 MiB = ${mb(bound)} MB)`);
        for (const [name, run] of [['plain fetch', fetch], ['SDK', sdk]]) {
          console.log(`  ${name.padEnd(11)} ${run.ms.toFixed(0)} ms (${(2048 * MIB / 1e3 / run.ms).toFixed(0)} MB/s); renderer memory grew ${mb(run.rss)} MB at its peak (private ${mb(run.anon)} MB, shared ${mb(run.shmem)} MB, peaks apart); JS heap ${mb(run.js)} MB, buffers ${mb(run.buffers)} MB${name === 'SDK' ? `, wasm memory ${mb(run.wasm)} MB` : ''}`);
        }
        console.log(`  SDK/plain fetch: renderer memory growth ${(sdk.rss / fetch.rss).toFixed(2)}`);
        await streamed(browser, pageUrl, goals);
      }
    }
    verdicts(goals);
  } finally {
    await browser.close();
    await link.close();
    http.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
