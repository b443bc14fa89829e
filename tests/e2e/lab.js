// Runs inside the test page: one uploader, whose getUploadAuth and refreshUploadAuth ask
// vod-local's backend as a customer's page asks its own, and whose callbacks record every
// event. network.test.mjs drives it through `window.lab`. The page comes from a server of the
// test's own; the npm package, the demo's backend helper and the backend itself from
// vod-local, named in <html data-site>.
const site = document.documentElement.dataset.site;
const { default: init, VodUploader } = await import(`${site}/pkg/vod_upload.js`);

await init();

const { backend: ask } = await import(`${site}/backend.js`);
const backend = (path, body) => ask(path, body, site);

const lab = {
  events: [],
  uploader: null,
  create(options) {
    const record = (kind) => (info, ...rest) => {
      lab.events.push({ kind, at: Date.now(), name: info?.name, state: info?.state, loaded: info?.loaded, rest });
    };
    const { refresh, ...rest } = options;
    lab.uploader = new VodUploader({
      getUploadAuth: (info) => backend('/api/upload-auth', { title: info.name, fileName: info.name, fileSize: info.size }),
      refreshUploadAuth: refresh ? (info) => backend('/api/refresh-upload-auth', { videoId: info.videoId }) : undefined,
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
  count(kind) {
    return lab.events.filter((e) => e.kind === kind).length;
  },
};
window.lab = lab;
