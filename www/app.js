// The demo page: the SDK as a customer's page would use it, with vod-local playing the
// customer's backend (/api/) and OSS. Every file name is rendered as text, never as HTML.
//
// Options belong to an uploader, so the settings panel applies to files added afterwards: a
// change of settings makes a new uploader for the next files, and the earlier files stay with
// theirs. The list shows the files of every uploader, in the order they were added.
import init, { VodUploader, findRecordings, recorderStream } from '/pkg/index.js';
import { backend } from './backend.js';
import { wireFaults } from './faults.js';
import { Meter, size, speed, timeLeft } from './meter.js';
import { showStored } from './preview.js';

const $ = (id) => document.getElementById(id);

function log(text, kind = '') {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (kind) item.className = kind;
  $('log').append(item);
  item.scrollIntoView({ block: 'nearest' });
}

// --- settings -------------------------------------------------------------------------------

function settings() {
  const f = $('settings').elements;
  return {
    mode: f.mode.value,
    partSize: Math.round(Number(f.partSize.value) * 1024),
    parallel: Number(f.parallel.value),
    timeout: Math.round(Number(f.timeout.value) * 1000),
    checkCrc64: f.checkCrc64.checked,
    pauseOnCellular: f.pauseOnCellular.checked,
    autoRefresh: f.autoRefresh.checked,
  };
}

function describe(s) {
  const mode = s.mode === 'sts' ? 'STS mode: the page asks VOD for each upload' : 'upload address + credential mode';
  const refresh = s.mode === 'auth' && s.autoRefresh ? ', credentials renewed before they expire' : '';
  return `${mode}; parts of ${s.partSize / 1024} KiB, ${s.parallel} in parallel, ${s.timeout / 1000} s timeout, `
    + `CRC-64 ${s.checkCrc64 ? 'checked' : 'not checked'}${s.pauseOnCellular ? ', waits on cellular' : ''}${refresh}`;
}

// --- uploaders ------------------------------------------------------------------------------

// Each uploader, with its files' rows by the SDK's index. `current` takes new files; a change of
// settings clears it, so that the next file makes an uploader with the new settings.
const groups = [];
let current = null;
// Every row, by the order it was added: its `data-index`.
let added = 0;

const isImage = (name) => /\.(png|jpe?g|gif)$/i.test(name);

function makeUploader(s, group) {
  const rowOf = (info) => group.rows.get(info.index);
  const options = {
    partSize: s.partSize,
    parallel: s.parallel,
    timeout: s.timeout,
    checkCrc64: s.checkCrc64,
    pauseOnCellular: s.pauseOnCellular,
    retryCount: 5,
    retryDuration: 500,
    onUploadStarted: (info) => { log(`started ${info.name}`); render(); },
    onUploadProgress: () => render(),
    onUploadSucceed: (info) => {
      const id = info.imageId ? `ImageId ${info.imageId}` : `VideoId ${info.videoId}`;
      log(`uploaded ${info.name} as ${id}`, 'ok');
      const stopped = recordingsStopped.get(info.file);
      if (stopped !== undefined) {
        const after = `${info.name} was in VOD ${Math.round(performance.now() - stopped)} ms after the recording stopped`;
        $('recording').textContent = after;
        log(after, 'ok');
      }
      render();
      showStored(rowOf(info).element, info).catch((e) => log(`cannot read ${info.name} back: ${e.message}`, 'bad'));
    },
    onUploadFailed: (info, code, message) => { log(`failed ${info.name}: ${code}: ${message}`, 'bad'); render(); },
    onUploadRetry: (info, code) => {
      if (code === 'NetworkOffline' || code === 'CellularNetwork') {
        log(`${info.name} waits for the network (${code})`, 'retry');
      } else {
        log(`retrying a request of ${info.name} after ${code}`, 'retry');
      }
      render();
    },
    onUploadRetryResume: (info) => { log(`${info.name} goes on`, 'ok'); render(); },
    onUploadEnd: () => { log('every file has finished', 'ok'); render(); },
  };
  if (s.mode === 'sts') {
    // The page holds a short-lived STS token and the SDK asks VOD (here vod-local's) itself.
    const token = () => backend('/api/sts-token', { seconds: 3600 });
    return new VodUploader({
      ...options,
      getSTSToken: token,
      vodEndpoint: `${location.origin}/vod`,
      onUploadTokenExpired: async (info) => {
        log(`the STS token for ${info.name} ran out; asking for a new one`, 'retry');
        group.uploader.resumeUploadWithToken(await token());
        render();
      },
    });
  }
  const refresh = (info) => backend('/api/refresh-upload-auth', { videoId: info.videoId });
  return new VodUploader({
    ...options,
    // The backend allocates each upload; for an image, with CreateUploadImage. A file resumed
    // from an earlier page names its video: the backend refreshes that video's credentials
    // (RefreshUploadVideo) instead of making a new one.
    getUploadAuth: (info) => {
      if (info.videoId) return refresh(info);
      if (isImage(info.name)) return backend('/api/upload-auth', { kind: 'image', title: info.name, fileName: info.name });
      // A recording's size is not known yet (0): no FileSize.
      return backend('/api/upload-auth', { title: info.name, fileName: info.name, fileSize: info.size || undefined });
    },
    ...(s.autoRefresh && {
      refreshUploadAuth: (info) => {
        log(`renewing the credentials of ${info.name} before they expire`, 'retry');
        return refresh(info);
      },
    }),
    onUploadTokenExpired: async (info) => {
      log(`credentials of ${info.name} expired; asking the backend for fresh ones`, 'retry');
      render();
      try {
        const fresh = await refresh(info);
        group.uploader.resumeUploadWithToken(fresh.UploadAuth);
        log(`resumed ${info.name} with fresh credentials`, 'ok');
      } catch (e) {
        log(`could not refresh: ${e.message}`, 'bad');
      }
      render();
    },
  });
}

// The uploader that takes new files, made with the settings as they are now.
function currentGroup() {
  if (!current) {
    const group = { rows: new Map() };
    group.uploader = makeUploader(settings(), group);
    groups.push(group);
    current = group;
  }
  return current;
}

// --- the list -------------------------------------------------------------------------------

const busyStates = new Set(['Uploading', 'Waiting']);
let ticker = null;

function newRow(group, info) {
  const element = $('row').content.firstElementChild.cloneNode(true);
  element.dataset.index = added;
  added += 1;
  element.querySelector('.name').textContent = info.name;
  element.querySelector('.size').textContent = size(info.size);
  element.querySelector('.delete').addEventListener('click', () => {
    try {
      group.uploader.deleteFile(info.index);
      log(`deleted ${info.name}`);
    } catch (e) {
      log(`${e.code}: ${e.message}`, 'bad');
    }
    render();
  });
  $('list').append(element);
  const row = { element, meter: new Meter() };
  group.rows.set(info.index, row);
  return row;
}

// Bytes sent, speed and time left of one file, or of all of them (`rate` in bytes per second,
// null while unknown).
function showRate(element, rate, busy, loaded, total) {
  element.querySelector('.sent').textContent = `${size(loaded)} of ${size(total)}`;
  element.querySelector('.speed').textContent = busy ? speed(rate) : '';
  element.querySelector('.left').textContent = busy ? timeLeft(total - loaded, rate) : '';
}

// A file's speed: measured while it uploads, forgotten when it rests, so that a stop, a wait or
// a resume starts afresh.
function rateOf(row, busy, loaded, now) {
  if (!busy) {
    row.meter.reset();
    return null;
  }
  return row.meter.add(now, loaded);
}

function render() {
  const now = performance.now();
  let anyBusy = false;
  let anyWaiting = false;
  let loaded = 0;
  let total = 0;
  let overallRate = null;
  for (const group of groups) {
    const files = group.uploader.listFiles();
    const seen = new Set();
    for (const info of files) {
      seen.add(info.index);
      const row = group.rows.get(info.index) ?? newRow(group, info);
      const { element } = row;
      const busy = busyStates.has(info.state);
      element.dataset.state = info.state;
      // A recording's size is known once it stopped.
      element.querySelector('.size').textContent = size(info.size);
      element.querySelector('progress').value = info.percent;
      element.querySelector('.state').textContent = info.state;
      element.querySelector('.percent').textContent = `${info.percent.toFixed(0)} %`;
      const rate = rateOf(row, busy, info.loaded, now);
      showRate(element, rate, busy, info.loaded, info.size);
      // The list's speed is the sum of its files' (a file added part-done adds no speed).
      if (rate !== null) overallRate = (overallRate ?? 0) + rate;
      element.querySelector('.video').textContent = info.videoId ? `VideoId ${info.videoId}` : '';
      const image = element.querySelector('.image');
      image.hidden = !(info.imageUrl && /^https?:\/\//.test(info.imageUrl));
      if (!image.hidden) image.href = info.imageUrl;
      element.querySelector('.error').textContent = info.errorCode ? `${info.errorCode}: ${info.errorMessage}` : '';
      anyBusy ||= busy;
      if (info.state !== 'Failure') {
        loaded += info.loaded;
        total += info.size;
      }
    }
    group.waiting = files.some((f) => f.state === 'Ready' || f.state === 'Stopped');
    group.busy = files.some((f) => busyStates.has(f.state));
    anyWaiting ||= group.waiting;
    for (const [index, row] of group.rows) {
      if (!seen.has(index)) { row.element.remove(); group.rows.delete(index); }
    }
  }
  const count = $('list').children.length;
  $('empty').hidden = count > 0;
  $('overall').hidden = count === 0;
  showRate($('overall'), overallRate, anyBusy, loaded, total);
  $('status').textContent = anyBusy ? 'Uploading…' : 'Ready.';
  $('start').disabled = !anyWaiting || anyBusy;
  $('stop').disabled = !anyBusy;
  // While anything uploads, the speeds and times left follow the clock, not only progress.
  if (anyBusy && !ticker) ticker = setInterval(render, 500);
  if (!anyBusy && ticker) { clearInterval(ticker); ticker = null; }
}

// --- the page -------------------------------------------------------------------------------

await init();

$('settings').addEventListener('change', () => {
  // An uploader nothing was added to yet is let go; one with files keeps them.
  if (current && current.rows.size === 0) groups.splice(groups.indexOf(current), 1);
  current = null;
  log(`${describe(settings())}, for the files added from now on`, 'ok');
});

function add(files) {
  for (const file of files) {
    try {
      const group = currentGroup();
      const index = group.uploader.addFile(file, { title: file.name });
      const info = group.uploader.listFiles().find((f) => f.index === index);
      if (info.resumed) {
        log(`resumed ${file.name} at ${info.percent.toFixed(0)} %, VideoId ${info.videoId}: Start sends only the rest`, 'ok');
      } else {
        log(`added ${file.name}`);
      }
    } catch (e) {
      // Settings the SDK refuses make no uploader: the error names the setting.
      log(`${file.name}: ${e.code}: ${e.message}`, 'bad');
    }
  }
  render();
}

$('files').addEventListener('change', (event) => { add(event.target.files); event.target.value = ''; });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); add(e.dataTransfer.files); });

$('start').addEventListener('click', () => {
  for (const group of groups.filter((g) => g.waiting && !g.busy)) {
    try { group.uploader.start(); } catch (e) { log(`${e.code}: ${e.message}`, 'bad'); }
  }
  render();
});
$('stop').addEventListener('click', () => {
  for (const group of groups) group.uploader.stop();
  log('stopped; completed parts are kept');
  render();
});
// --- recording -----------------------------------------------------------------------------

// When each recording's stream stopped, for the time until it is in VOD.
const recordingsStopped = new Map();
let recording = null;

// The camera, or where there is none (or it is refused), a canvas drawn here.
async function source() {
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ video: true, audio: true }), what: 'the camera' };
  } catch {
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [640, 360];
    const g = canvas.getContext('2d');
    const started = performance.now();
    const draw = setInterval(() => {
      const t = (performance.now() - started) / 1000;
      g.fillStyle = '#1d2330';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#ff6a00';
      g.fillRect(40 + ((t * 160) % 520), 150, 60, 60);
      g.fillStyle = '#fff';
      g.font = '28px sans-serif';
      g.fillText(`${t.toFixed(1)} s`, 24, 48);
    }, 40);
    const stream = canvas.captureStream(25);
    return { stream, what: 'a canvas (no camera)', stop: () => clearInterval(draw) };
  }
}

async function record() {
  const button = $('record');
  if (recording) {
    recording.recorder.stop();
    return;
  }
  button.disabled = true;
  const { stream, what, stop } = await source();
  const recorder = new MediaRecorder(stream, { mimeType: 'video/webm' });
  const name = `recording ${new Date().toLocaleTimeString().replace(/:/g, '.')}.webm`;
  const chunks = recorderStream(recorder);
  const group = currentGroup();
  let recorded = 0;
  try {
    const index = group.uploader.addStream(chunks, { name, type: 'video/webm', title: name });
    recording = { recorder, index, group };
  } catch (e) {
    log(`${e.code}: ${e.message}`, 'bad');
    button.disabled = false;
    return;
  }
  const status = $('recording');
  const show = () => {
    const info = group.uploader.listFiles().find((f) => f.index === recording?.index);
    status.textContent = `Recording ${what}: ${size(recorded)} recorded, ${size(info?.loaded ?? 0)} in VOD`;
  };
  recorder.addEventListener('dataavailable', (e) => {
    recorded += e.data.size;
    status.dataset.chunks = Number(status.dataset.chunks ?? 0) + 1;
    show();
  });
  recorder.addEventListener('stop', () => {
    recordingsStopped.set(chunks, performance.now());
    stream.getTracks().forEach((track) => track.stop());
    stop?.();
    status.textContent = `Recorded ${size(recorded)}; the last part goes up now.`;
    log(`recording stopped at ${size(recorded)}`);
    recording = null;
    button.textContent = 'Record';
  });
  try { group.uploader.start(); } catch { /* already uploading */ }
  recorder.start(1000);
  status.hidden = false;
  status.dataset.chunks = 0;
  button.textContent = 'Stop recording';
  button.disabled = false;
  log(`recording ${what} as ${name}; its parts go up as it records`);
  show();
  render();
}

$('record').addEventListener('click', () => record().catch((e) => log(`cannot record: ${e.message}`, 'bad')));

// What an earlier page left recording: finish it as it is, or let it go.
for (const found of await findRecordings().catch(() => [])) {
  const item = $('found').content.firstElementChild.cloneNode(true);
  item.querySelector('.what').textContent = `${found.name}: ${size(found.size)} recorded, left unfinished by an earlier page`;
  item.querySelector('.resume').addEventListener('click', async () => {
    item.remove();
    try {
      const group = currentGroup();
      await found.resume(group.uploader);
      log(`${found.name} is back: Start finishes it`, 'ok');
    } catch (e) {
      log(`${found.name}: ${e.code}: ${e.message}`, 'bad');
    }
    render();
  });
  item.querySelector('.discard').addEventListener('click', async () => {
    item.remove();
    await found.discard();
    log(`let ${found.name} go`);
  });
  $('leftovers').append(item);
}

wireFaults(log, () => settings().timeout);
render();
