// Runs inside the test page: one uploader, whose getUploadAuth and refreshUploadAuth ask
// vod-local's backend as a customer's page asks its own, and whose callbacks record every
// event, and every secret handed out (to look for it in storage). lab.mjs drives it through
// `window.lab`. The page comes from a server of the test's own; the npm package, the demo's
// backend helper and the backend itself from the vod-local named in `?site=`.
const site = new URL(location.href).searchParams.get('site');
const { default: init, VodUploader, recorderStream, findRecordings } = await import(`${site}/pkg/index.js`);

const wasm = await init();

const { backend: ask } = await import(`${site}/backend.js`);
// The class and the wasm's memory too, for tests that make an uploader of their own.
const lab = { events: [], secrets: [], uploader: null, VodUploader, findRecordings, memory: wasm.memory };

// The backend's answer, with the credentials' secrets noted down.
const backend = async (path, body) => {
  const answer = await ask(path, body, site);
  const auth = JSON.parse(atob(answer.UploadAuth));
  lab.secrets.push(auth.AccessKeySecret, auth.SecurityToken);
  return answer;
};

Object.assign(lab, {
  // The backend, asked without noting the secrets down.
  ask: (path, body) => ask(path, body, site),
  create(options) {
    const record = (kind) => (info, ...rest) => {
      lab.events.push({ kind, at: Date.now(), name: info?.name, state: info?.state, loaded: info?.loaded, rest });
    };
    const { refresh, sts, ...rest } = options;
    // STS mode: the page holds an STS token and the SDK asks vod-local's VOD itself.
    const stsToken = async () => {
      const token = await ask('/api/sts-token', { seconds: 3600 }, site);
      lab.secrets.push(token.AccessKeySecret, token.SecurityToken);
      return token;
    };
    const credentials = sts ? { getSTSToken: stsToken, vodEndpoint: `${site}/vod` } : {
      // A backend that sees a videoId refreshes that video, as the README tells backends to.
      getUploadAuth: (info) => (info.videoId
        ? backend('/api/refresh-upload-auth', { videoId: info.videoId })
        : backend('/api/upload-auth', { title: info.name, fileName: info.name, fileSize: info.size || undefined })),
      refreshUploadAuth: refresh ? (info) => backend('/api/refresh-upload-auth', { videoId: info.videoId }) : undefined,
    };
    lab.uploader = new VodUploader({
      ...credentials,
      onUploadStarted: record('started'),
      onUploadSucceed: record('succeed'),
      onUploadFailed: record('failed'),
      onUploadProgress: record('progress'),
      onUploadTokenExpired: record('expired'),
      onUploadRetry: record('retry'),
      onUploadRetryResume: record('retryResume'),
      onUploadEnd: () => lab.events.push({ kind: 'end', at: Date.now() }),
      ...rest,
    });
  },
  add() {
    return lab.uploader.addFile(document.getElementById('file').files[0]);
  },
  // Records a canvas of noise (which no encoder makes small) for `ms` (0: until told) with a
  // MediaRecorder, 1 s a chunk, and adds what it records as a stream, with `info`; the chunks
  // the recorder gave are kept, with the bytes that had come when it was told to stop and when
  // it stopped.
  record(ms, info) {
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [320, 240];
    const g = canvas.getContext('2d');
    const frame = g.createImageData(320, 240);
    const draw = setInterval(() => {
      crypto.getRandomValues(frame.data.subarray(0, 65536));
      g.putImageData(frame, 0, 0);
    }, 40);
    const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm', videoBitsPerSecond: 2500000 });
    const recording = { chunks: [], atStop: null, stoppedAt: null, recorder };
    lab.recording = recording;
    recorder.addEventListener('dataavailable', (e) => recording.chunks.push(e.data));
    recorder.addEventListener('stop', () => {
      clearInterval(draw);
      recording.stoppedAt = Date.now();
    });
    const index = lab.uploader.addStream(recorderStream(recorder), info);
    recorder.start(1000);
    if (ms) {
      setTimeout(() => {
        recording.atStop = recording.chunks.reduce((sum, c) => sum + c.size, 0);
        // What the server had acknowledged, as the page was last told.
        recording.loadedAtStop = lab.events.filter((e) => e.kind === 'progress').pop()?.loaded ?? 0;
        recorder.stop();
      }, ms);
    }
    return index;
  },
  // Adds a stream of `count` chunks of 64 KiB of noise that fails once a part of it was
  // acknowledged (so that its upload is open), with `info`.
  streamThatFails(count, info) {
    let given = 0;
    const acknowledged = () => new Promise((resolve) => {
      const check = () => (lab.count('progress') > 0 ? resolve() : setTimeout(check, 50));
      check();
    });
    const stream = new ReadableStream({
      async pull(controller) {
        if (given++ < count) return controller.enqueue(crypto.getRandomValues(new Uint8Array(65536)));
        await acknowledged();
        controller.error(new Error('the camera was unplugged'));
      },
    });
    return lab.uploader.addStream(stream, info);
  },
  // Bytes recorded so far, and those the SDK keeps in IndexedDB for the page after this one
  // (read from the database itself: findRecordings leaves out this page's own streams).
  async sizes() {
    const recorded = lab.recording.chunks.reduce((sum, c) => sum + c.size, 0);
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('vod-upload');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const records = await new Promise((resolve, reject) => {
      const read = db.transaction('streams').objectStore('streams').getAll();
      read.onsuccess = () => resolve(read.result);
      read.onerror = () => reject(read.error);
    });
    db.close();
    return { recorded, kept: records.reduce((sum, r) => sum + r.size, 0) };
  },
  // What the recorder gave, as base64.
  async recorded() {
    const blob = new Blob(lab.recording.chunks);
    const url = await new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.readAsDataURL(blob);
    });
    return url.slice(url.indexOf(',') + 1);
  },
  // Plays the stored copy of video `videoId` from the server, muted; resolves once it can.
  async play(videoId) {
    const answer = await lab.ask('/api/media', { videoId });
    const video = document.createElement('video');
    video.muted = true;
    video.preload = 'auto';
    video.src = new URL(answer.URL, site).href;
    document.body.append(video);
    await new Promise((resolve, reject) => {
      video.addEventListener('loadeddata', resolve);
      video.addEventListener('error', () => reject(new Error(`cannot play: ${video.error?.message}`)));
    });
    return video.readyState;
  },
  count(kind) {
    return lab.events.filter((e) => e.kind === kind).length;
  },
});
window.lab = lab;
