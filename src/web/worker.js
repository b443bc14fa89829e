let wasm, read, max;
const files = new Map();
const sending = new Map();
const PIECE = 256 * 1024;
const pool = [];
const [READY, FAILED, DONE, ERROR] = [0, 1, 2, 3];

async function start(data) {
  ({ read, max } = data);
  try {
    const imports = {};
    for (const { module, name, kind } of WebAssembly.Module.imports(data.module)) {
      if (kind !== 'function') continue;
      (imports[module] ||= {})[name] = () => { throw new Error(`vod-upload worker: ${name}`); };
    }
    wasm = (await WebAssembly.instantiate(data.module, imports)).exports;
    postMessage({ kind: READY });
  } catch (e) {
    postMessage({ kind: FAILED, value: String(e) });
  }
}

async function hash({ id, key, file, start, end, md5, fail }) {
  const hasher = wasm.vod_hash_new(md5 ? 1 : 0);
  let buffer = pool.pop() || new ArrayBuffer(PIECE);
  try {
    if (fail) throw new Error('told to fail');
    const stream = (file || files.get(key)).slice(start, end).stream();
    let reader;
    let byob = true;
    try {
      reader = stream.getReader({ mode: 'byob' });
    } catch {
      byob = false;
      reader = stream.getReader();
    }
    for (;;) {
      const { done, value } = await (byob ? reader.read(new Uint8Array(buffer, 0, PIECE)) : reader.read());
      if (byob && value) buffer = value.buffer;
      if (done) break;
      const at = wasm.vod_hash_buffer(hasher, value.length);
      new Uint8Array(wasm.memory.buffer, at, value.length).set(value);
      wasm.vod_hash_update(hasher, value.length);
    }
    const at = wasm.vod_hash_finish(hasher);
    postMessage({ kind: DONE, id, value: new Uint8Array(wasm.memory.buffer, at, md5 ? 16 : 8).slice() });
  } catch (e) {
    postMessage({ kind: ERROR, id, value: String(e) });
  } finally {
    wasm.vod_hash_free(hasher);
    if (buffer.byteLength === PIECE) pool.push(buffer);
  }
}

async function send({ id, key, file, start, end, url, init }) {
  const controller = new AbortController();
  sending.set(id, controller);
  try {
    init.body = (file || files.get(key)).slice(start, end);
    init.signal = controller.signal;
    const answer = await fetch(url, init);
    const headers = Object.fromEntries(read.map((name) => [name, answer.headers.get(name)]));
    const body = (await answer.text()).slice(0, max);
    postMessage({ kind: DONE, id, value: { status: answer.status, headers, body } });
  } catch (e) {
    postMessage({ kind: ERROR, id, value: String(e) });
  } finally {
    sending.delete(id);
  }
}

function abort({ id }) {
  sending.get(id)?.abort();
}

const kinds = [start, hash, send, abort];
onmessage = ({ data }) => {
  if (data.file && data.key !== undefined) files.set(data.key, data.file);
  kinds[data.kind](data);
};
