// The bench page: the same files uploaded by the SDK, by plain parallel fetch of the same
// slices (the limit), and by ali-oss's browser build. run.mjs drives it through the DevTools
// protocol and measures around each call; the page only uploads and times.
import { signed } from './plain.mjs';

const params = new URLSearchParams(location.search);
const base = params.get('server');
const PART = 1 << 20;
const PARALLEL = 5;

let sdk;
let wasm;
const files = {};

// Instantiates the SDK's wasm; the milliseconds it took (fetch, compile, instantiate).
export async function load() {
  const started = performance.now();
  const module = await import('/pkg/index.js');
  wasm = await module.default({ module_or_path: '/pkg/vod_upload_bg.wasm' });
  sdk = module;
  return performance.now() - started;
}

// The size of the SDK's wasm memory, in bytes.
export function wasmMemory() {
  return wasm.memory.buffer.byteLength;
}

// Makes `count` files of `size` bytes under the name `set`; no two files are alike.
export function makeFiles(set, count, size) {
  const list = [];
  for (let f = 0; f < count; f++) {
    const chunk = new Uint8Array(Math.min(size, 1 << 20));
    let x = (f + 1) * 2654435761;
    for (let i = 0; i < chunk.length; i += 4) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      chunk[i] = x; chunk[i + 1] = x >>> 8; chunk[i + 2] = x >>> 16; chunk[i + 3] = x >>> 24;
    }
    const pieces = [];
    for (let left = size; left > 0; left -= chunk.length) pieces.push(left >= chunk.length ? chunk : chunk.subarray(0, left));
    list.push(new File(pieces, `${set}-${f}.mp4`, { type: 'video/mp4' }));
  }
  files[set] = list;
  return list.length;
}

// The file run.mjs picked from disk into the page's file input, as the set `set`.
export function takePicked(set) {
  files[set] = [...document.getElementById('pick').files];
  return files[set][0].size;
}

export function forget(set) {
  delete files[set];
}

async function uploadAuth(file) {
  const response = await fetch(`${base}/api/upload-auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: file.name, fileName: file.name, fileSize: file.size }),
  });
  if (!response.ok) throw new Error(`upload-auth: HTTP ${response.status}`);
  return response.json();
}

const decode = (answer) => ({ auth: JSON.parse(atob(answer.UploadAuth)), address: JSON.parse(atob(answer.UploadAddress)) });

function withSdk(list, checkCrc64 = true) {
  return new Promise((resolve, reject) => {
    const failures = [];
    const up = new sdk.VodUploader({
      partSize: PART,
      parallel: PARALLEL,
      retryCount: 0,
      timeout: 120000,
      checkpoint: false,
      checkCrc64,
      getUploadAuth: uploadAuth,
      onUploadFailed: (info, code, message) => failures.push(`${info.name}: ${code} ${message}`),
      onUploadEnd: () => (failures.length ? reject(new Error(failures.join('; '))) : resolve()),
    });
    for (const file of list) up.addFile(file);
    up.start();
  });
}

// At most `count` at a time, across everything that takes a slot.
function slots(count) {
  let free = count;
  const waiting = [];
  return async (work) => {
    if (free > 0) free--;
    else await new Promise((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

// Every request of every file at once, `PARALLEL` in flight: as fast as this link allows.
async function withFetch(list) {
  const slot = slots(PARALLEL);
  await Promise.all(list.map(async (file) => {
    const { auth, address } = decode(await slot(() => uploadAuth(file)));
    if (file.size <= PART) {
      await slot(() => signed(auth, address, 'PUT', '', file.type, file));
      return;
    }
    const init = await slot(() => signed(auth, address, 'POST', 'uploads', file.type));
    const uploadId = new DOMParser().parseFromString(await init.text(), 'application/xml').querySelector('UploadId').textContent;
    const count = Math.ceil(file.size / PART);
    const etags = await Promise.all(Array.from({ length: count }, (_, i) => slot(async () => {
      const part = file.slice(i * PART, Math.min((i + 1) * PART, file.size));
      const response = await signed(auth, address, 'PUT', `partNumber=${i + 1}&uploadId=${uploadId}`, 'application/octet-stream', part);
      return response.headers.get('etag');
    })));
    const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('');
    await slot(() => signed(auth, address, 'POST', `uploadId=${uploadId}`, 'application/xml', `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`));
  }));
}

// As a page uses ali-oss today: a client per file with that file's credentials, files one
// after another, `multipartUpload` with the same part size and parallelism, `put` for a file
// smaller than a part.
async function withAliOss(list) {
  for (const file of list) {
    const { auth, address } = decode(await uploadAuth(file));
    const client = new window.OSS({
      accessKeyId: auth.AccessKeyId,
      accessKeySecret: auth.AccessKeySecret,
      stsToken: auth.SecurityToken,
      bucket: address.Bucket,
      endpoint: address.Endpoint,
    });
    if (file.size < PART) await client.put(address.FileName, file);
    else await client.multipartUpload(address.FileName, file, { partSize: PART, parallel: PARALLEL });
  }
}

// A stream of `size` bytes for `addStream`, made 1 MiB at a time only as it is read (no two
// chunks alike; one buffer, so that the stream leaves no garbage of its own), as the set `set`.
export function makeStream(set, size) {
  files[set] = { size };
  return size;
}

// The SDK uploading a made stream (the set's `size` bytes), reading it as it wants bytes.
function withStream({ size }) {
  const chunk = new Uint8Array(PART);
  crypto.getRandomValues(chunk.subarray(0, 65536));
  let made = 0;
  const stream = new ReadableStream({
    pull(controller) {
      if (made >= size) return controller.close();
      const piece = chunk.subarray(0, Math.min(PART, size - made));
      piece[0] = made / PART;
      made += piece.length;
      controller.enqueue(piece);
    },
  });
  return new Promise((resolve, reject) => {
    const up = new sdk.VodUploader({
      partSize: PART,
      parallel: PARALLEL,
      retryCount: 0,
      timeout: 120000,
      getUploadAuth: (info) => uploadAuth({ name: info.name, size: undefined }),
      onUploadFailed: (info, code, message) => reject(new Error(`${info.name}: ${code} ${message}`)),
      onUploadSucceed: () => resolve(),
    });
    up.addStream(stream, { name: 'made.webm', type: 'video/webm' });
    up.start();
  });
}

// `sdk-nocrc`: the SDK without its CRC-64 checks, to tell what the checks cost.
const uploaders = {
  sdk: withSdk,
  'sdk-nocrc': (list) => withSdk(list, false),
  'sdk-stream': withStream,
  fetch: withFetch,
  'ali-oss': withAliOss,
};

// Uploads the set with one uploader; the milliseconds taken.
export async function upload(uploader, set) {
  const started = performance.now();
  await uploaders[uploader](files[set]);
  return performance.now() - started;
}
