// The page every example shares, whichever build of the package provides VodUploader and
// whichever way the page was built: a file input, and one line that tells what happens.
export function run(VodUploader) {
  const input = document.createElement('input');
  input.type = 'file';
  input.id = 'file';
  const result = document.createElement('p');
  result.id = 'result';
  result.textContent = 'Pick a file.';
  document.body.append(input, result);
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
  input.addEventListener('change', () => {
    uploader.addFile(input.files[0]);
    uploader.start();
  });
}
