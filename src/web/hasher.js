// vod-upload's hashing worker. The page posts the SDK's compiled WebAssembly.Module once, then
// jobs: { id, key, file (the first time a key is used), start, end, md5 }. The worker reads the
// slice of the file itself and answers { id, digest } (8 bytes for a CRC-64, 16 for an MD5), or
// { id, error }. The module's imports are never called by the hashing exports; each is a stub
// that throws, should that ever change.
let wasm;
const files = new Map();
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
  const { id, key, file, start, end, md5 } = data;
  if (file) files.set(key, file);
  const hasher = wasm.vod_hash_new(md5 ? 1 : 0);
  try {
    const reader = files.get(key).slice(start, end).stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
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
  }
};
