// The demo page: the SDK as a customer's page would use it, with vod-local playing the
// customer's backend (/api/) and OSS. Every file name is rendered as text, never as HTML.
import init, { VodUploader } from '/pkg/vod_upload.js';
import { backend } from './backend.js';

const $ = (id) => document.getElementById(id);
const list = $('list');
const rows = new Map();

function log(text, kind = '') {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (kind) item.className = kind;
  $('log').append(item);
  item.scrollIntoView({ block: 'nearest' });
}

function size(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) { bytes /= 1000; i += 1; }
  return `${bytes.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function render() {
  const files = uploader.listFiles();
  const seen = new Set();
  for (const info of files) {
    seen.add(info.index);
    let row = rows.get(info.index);
    if (!row) {
      row = $('row').content.firstElementChild.cloneNode(true);
      row.dataset.index = info.index;
      row.querySelector('.name').textContent = info.name;
      row.querySelector('.size').textContent = size(info.size);
      row.querySelector('.delete').addEventListener('click', () => {
        try {
          uploader.deleteFile(info.index);
          log(`deleted ${info.name}`);
        } catch (e) {
          log(`${e.code}: ${e.message}`, 'bad');
        }
        render();
      });
      rows.set(info.index, row);
      list.append(row);
    }
    row.dataset.state = info.state;
    row.querySelector('progress').value = info.percent;
    row.querySelector('.state').textContent = info.state;
    row.querySelector('.percent').textContent = `${info.percent.toFixed(0)} %`;
    row.querySelector('.video').textContent = info.videoId ? `VideoId ${info.videoId}` : '';
    const image = row.querySelector('.image');
    image.hidden = !(info.imageUrl && /^https?:\/\//.test(info.imageUrl));
    if (!image.hidden) image.href = info.imageUrl;
    row.querySelector('.error').textContent = info.errorCode ? `${info.errorCode}: ${info.errorMessage}` : '';
  }
  for (const [index, row] of rows) {
    if (!seen.has(index)) { row.remove(); rows.delete(index); }
  }
  $('empty').hidden = files.length > 0;
  const waiting = files.some((f) => f.state === 'Ready' || f.state === 'Stopped');
  const busy = files.some((f) => f.state === 'Uploading' || f.state === 'Waiting');
  $('start').disabled = !waiting || busy;
  $('stop').disabled = !busy;
}

await init();

// The callbacks both modes share.
const callbacks = {
  onUploadStarted: (info) => { log(`started ${info.name}`); render(); },
  onUploadProgress: () => render(),
  onUploadSucceed: (info) => {
    const id = info.imageId ? `ImageId ${info.imageId}` : `VideoId ${info.videoId}`;
    log(`uploaded ${info.name} as ${id}`, 'ok');
    render();
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

// The default mode: the backend allocates each upload; for an image, with CreateUploadImage.
const isImage = (name) => /\.(png|jpe?g|gif)$/i.test(name);
function uploadAuthMode() {
  return new VodUploader({
    ...callbacks,
    partSize: 1024 * 1024,
    parallel: 5,
    retryCount: 5,
    retryDuration: 500,
    // A file resumed from an earlier page names its video: the backend refreshes that video's
    // credentials (RefreshUploadVideo) instead of making a new one.
    getUploadAuth: (info) => {
      if (info.videoId) return backend('/api/refresh-upload-auth', { videoId: info.videoId });
      if (isImage(info.name)) return backend('/api/upload-auth', { kind: 'image', title: info.name, fileName: info.name });
      return backend('/api/upload-auth', { title: info.name, fileName: info.name, fileSize: info.size });
    },
    onUploadTokenExpired: async (info) => {
      log(`credentials of ${info.name} expired; asking the backend for fresh ones`, 'retry');
      render();
      try {
        const fresh = await backend('/api/refresh-upload-auth', { videoId: info.videoId });
        uploader.resumeUploadWithToken(fresh.UploadAuth);
        log(`resumed ${info.name} with fresh credentials`, 'ok');
      } catch (e) {
        log(`could not refresh: ${e.message}`, 'bad');
      }
      render();
    },
  });
}

// STS mode: the page holds a short-lived STS token and the SDK asks VOD (here vod-local's) for
// each upload itself.
function stsMode() {
  const token = () => backend('/api/sts-token', { seconds: 3600 });
  return new VodUploader({
    ...callbacks,
    partSize: 1024 * 1024,
    retryCount: 5,
    retryDuration: 500,
    getSTSToken: token,
    vodEndpoint: `${location.origin}/vod`,
    onUploadTokenExpired: async (info) => {
      log(`the STS token for ${info.name} ran out; asking for a new one`, 'retry');
      uploader.resumeUploadWithToken(await token());
      render();
    },
  });
}

let uploader = uploadAuthMode();
$('mode').addEventListener('change', (event) => {
  uploader.stop();
  uploader = event.target.value === 'sts' ? stsMode() : uploadAuthMode();
  for (const row of rows.values()) row.remove();
  rows.clear();
  log(event.target.value === 'sts' ? 'STS mode: the page asks VOD for each upload' : 'upload address + credential mode', 'ok');
  render();
});
$('status').textContent = 'Ready.';

function add(files) {
  for (const file of files) {
    try {
      const index = uploader.addFile(file, { title: file.name });
      const info = uploader.listFiles().find((f) => f.index === index);
      if (info.resumed) {
        log(`resumed ${file.name} at ${info.percent.toFixed(0)} %, VideoId ${info.videoId}: Start sends only the rest`, 'ok');
      } else {
        log(`added ${file.name}`);
      }
    } catch (e) {
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
  try { uploader.start(); } catch (e) { log(`${e.code}: ${e.message}`, 'bad'); }
  render();
});
$('stop').addEventListener('click', () => { uploader.stop(); log('stopped; completed parts are kept'); render(); });
$('expire').addEventListener('click', async () => {
  const response = await fetch('/_admin/expire-credentials', { method: 'POST' });
  const answer = await response.json();
  log(`the server expired ${answer.expired} credentials`, 'retry');
});
render();
