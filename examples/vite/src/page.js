// The page's uploader: the same whichever build of the package provides VodUploader.
export function run(VodUploader) {
  const result = document.getElementById('result');
  result.textContent = 'Pick a file.';
  const uploader = new VodUploader({
    // A real page asks its own backend, which calls VOD's CreateUploadVideo.
    getUploadAuth: (info) =>
      fetch('/api/upload-auth', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: info.name, fileName: info.name, fileSize: info.size }),
      }).then((response) => response.json()),
    onUploadProgress: (info, total, loaded) => {
      result.textContent = `${info.name}: ${Math.round(loaded * 100)} %`;
    },
    onUploadSucceed: (info) => {
      result.textContent = `uploaded ${info.name} as VideoId ${info.videoId}`;
    },
    onUploadFailed: (info, code, message) => {
      result.textContent = `failed: ${code}: ${message}`;
    },
  });
  document.getElementById('file').addEventListener('change', (event) => {
    uploader.addFile(event.target.files[0]);
    uploader.start();
  });
}
