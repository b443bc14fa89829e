// Test harness for tests/web.rs: options whose callbacks record every event, and a
// getUploadAuth that asks vod-local's backend role, as a customer's page asks its backend.

export class Recorder {
  constructor(base) {
    this.base = base;
    this.events = [];
    this.waiters = [];
    this.handedOut = [];
  }

  options(extra) {
    if (extra.sts) return stsOptions(this, this.plainOptions(extra), extra.sts);
    return this.plainOptions(extra);
  }

  // Options whose getUploadAuth asks vod-local's backend.
  plainOptions(extra) {
    const record = (kind, hook) => (...args) => {
      this.events.push({ kind, args });
      this.waiters = this.waiters.filter((w) => !w());
      if ((extra.throwIn || []).includes(hook)) throw new Error(`${hook} throws on purpose`);
    };
    const base = this.base;
    const recorder = this;
    return {
      partSize: 100 * 1024,
      parallel: 3,
      retryCount: 3,
      retryDuration: 50,
      timeout: 20000,
      async getUploadAuth(info) {
        if (extra.badAuth && info.name === 'reject.mp4') throw new Error('the backend is down');
        // An image goes through CreateUploadImage, as a customer's backend would do it.
        const image = /\.(png|jpe?g|gif)$/i.test(info.name);
        const response = await fetch(`${base}/api/upload-auth`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(image
            ? { kind: 'image', title: info.name, fileName: info.name }
            : { title: info.name, fileName: info.name, fileSize: info.size }),
        });
        const answer = await response.json();
        recorder.handedOut.push(JSON.parse(atob(answer.UploadAuth)).AccessKeySecret);
        if (extra.badAuth) return spoil(info.name, answer);
        return answer;
      },
      onUploadStarted: record('started', 'onUploadStarted'),
      onUploadSucceed: record('succeed', 'onUploadSucceed'),
      onUploadFailed: record('failed', 'onUploadFailed'),
      onUploadProgress: record('progress', 'onUploadProgress'),
      onUploadTokenExpired: record('expired', 'onUploadTokenExpired'),
      onUploadRetry: record('retry', 'onUploadRetry'),
      onUploadRetryResume: record('retryResume', 'onUploadRetryResume'),
      onUploadEnd: record('end', 'onUploadEnd'),
      ...withoutHarnessKeys(extra),
    };
  }

  until(kind, count, ms) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.count(kind) >= count) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        return false;
      };
      const timer = setTimeout(
        () => reject(new Error(`waited ${ms} ms for ${count} '${kind}' events; got: ${this.everything()}`)),
        ms,
      );
      if (!check()) this.waiters.push(check);
    });
  }

  of(kind) {
    return this.events.filter((e) => e.kind === kind);
  }

  count(kind) {
    return this.of(kind).length;
  }

  names(kind) {
    return this.of(kind).map((e) => e.args[0].name);
  }

  args(kind) {
    return this.of(kind).map((e) => e.args);
  }

  everything() {
    return JSON.stringify(this.events.map((e) => [e.kind, ...e.args]));
  }

  secrets() {
    return this.handedOut;
  }
}

function withoutHarnessKeys(extra) {
  const { badAuth, throwIn, sts, ...rest } = extra;
  return rest;
}

// STS mode: options without getUploadAuth, with a getSTSToken that asks vod-local's STS
// stand-in for tokens living `sts.seconds` (its secrets noted down); `sts.fail` makes the next
// calls reject, `sts.wrongSecret` spoils the secret.
export function stsOptions(recorder, options, sts) {
  const { getUploadAuth, ...rest } = options;
  recorder.sts = sts;
  return {
    ...rest,
    vodEndpoint: `${recorder.base}/vod`,
    async getSTSToken() {
      recorder.stsCalls = (recorder.stsCalls || 0) + 1;
      if (recorder.sts.fail) throw new Error('STS is down');
      const token = await api(recorder.base, 'POST', '/api/sts-token', { seconds: recorder.sts.seconds || 3600 });
      recorder.handedOut.push(token.AccessKeySecret, token.SecurityToken);
      if (recorder.sts.wrongSecret) token.AccessKeySecret = 'guess';
      return token;
    },
  };
}

// Everything the page's console was told from now on.
export function captureConsole() {
  const said = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      said.push(args.map((a) => (a instanceof Error ? `${a.name} ${a.message}` : String(a))).join(' '));
      original(...args);
    };
  }
  return { text: () => said.join('\n') };
}

const encode = (object) => btoa(JSON.stringify(object));

// Each bad-credential case is chosen by the file's name.
function spoil(name, answer) {
  const auth = JSON.parse(atob(answer.UploadAuth));
  const address = JSON.parse(atob(answer.UploadAddress));
  switch (name) {
    case 'malformed-auth.mp4':
      return { ...answer, UploadAuth: 'not base64 at all!' };
    case 'incomplete-auth.mp4':
      delete auth.SecurityToken;
      return { ...answer, UploadAuth: encode(auth) };
    case 'malformed-address.mp4':
      delete address.Bucket;
      return { ...answer, UploadAddress: encode(address) };
    case 'unreachable.mp4':
      address.Endpoint = 'http://localhost:65530';
      return { ...answer, UploadAddress: encode(address) };
    default:
      return answer;
  }
}

export function makeFile(bytes, name) {
  return new File([bytes], name);
}

export async function api(base, method, path, body) {
  const init = { method };
  if (body !== null && body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, init);
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Watches the page's timers of `low` to `high` ms: how many were set, and how many are set and
// neither fired nor cleared.
export function watchTimers(low, high) {
  const live = new Set();
  let set = 0;
  const { setTimeout: setTimer, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = (handler, ms, ...rest) => {
    let id;
    const fire = (...args) => {
      live.delete(id);
      return typeof handler === 'function' ? handler(...args) : undefined;
    };
    id = setTimer(fire, ms, ...rest);
    if (ms >= low && ms <= high) {
      live.add(id);
      set += 1;
    }
    return id;
  };
  globalThis.clearTimeout = (id) => {
    live.delete(id);
    clear(id);
  };
  return {
    set: () => set,
    live: () => live.size,
    restore: () => {
      globalThis.setTimeout = setTimer;
      globalThis.clearTimeout = clear;
    },
  };
}
