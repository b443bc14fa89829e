let wasm;
const files = new Map();
const sending = new Map();
const PIECE = 256 * 1024;
const pool = [];
onmessage = async ({ data }) => {
  if (data.module) {
    try {
      const imports = {};
      for (const { module, name, kind } of WebAssembly.Module.imports(data.module)) {
        if (kind !== 'function') continue;
        (imports[module] ||= {})[name] = () => { throw new Error(`vod-upload worker: ${name}`); };
      }
      wasm = (await WebAssembly.instantiate(data.module, imports)).exports;
      postMessage({ ready: true });
    } catch (e) {
      postMessage({ failed: String(e) });
    }
    return;
  }
  if (data.abort !== undefined) {
    sending.get(data.abort)?.abort();
    return;
  }
  const { id, key, file, start, end, md5, send } = data;
  if (file) files.set(key, file);
  if (send) {
    const controller = new AbortController();
    sending.set(id, controller);
    try {
      const body = files.get(key).slice(start, end);
      const answer = await fetch(send.url, { method: send.method, headers: send.headers, body, signal: controller.signal });
      const headers = Object.fromEntries(send.read.map((name) => [name, answer.headers.get(name)]));
      const text = (await answer.text()).slice(0, send.max);
      postMessage({ id, response: { status: answer.status, headers, body: text } });
    } catch (e) {
      postMessage({ id, error: String(e) });
    } finally {
      sending.delete(id);
    }
    return;
  }
  const hasher = wasm.vod_hash_new(md5 ? 1 : 0);
  // Read in pieces into buffers taken from a pool and given back: one per part being read, so
  // hashing gigabytes leaves no garbage behind.
  let buffer = pool.pop() || new ArrayBuffer(PIECE);
  try {
    if (data.fail) throw new Error('told to fail');
    const stream = files.get(key).slice(start, end).stream();
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
    postMessage({ id, digest: new Uint8Array(wasm.memory.buffer, at, md5 ? 16 : 8).slice() });
  } catch (e) {
    postMessage({ id, error: String(e) });
  } finally {
    wasm.vod_hash_free(hasher);
    if (buffer.byteLength === PIECE) pool.push(buffer);
  }
};
