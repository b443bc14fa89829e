// The script-tag page's own code, in a file of its own so that the page runs under a strict
// Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval', no inline script).
VodUpload.ready.then(function (sdk) {
  var result = document.getElementById('result');
  result.textContent = 'Pick a file.';
  var uploader = new sdk.VodUploader({
    getUploadAuth: function (info) {
      return fetch('/api/upload-auth', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: info.name, fileName: info.name, fileSize: info.size })
      }).then(function (r) { return r.json(); });
    },
    onUploadProgress: function (info, total, loaded) {
      result.textContent = info.name + ': ' + Math.round(loaded * 100) + ' %';
    },
    onUploadSucceed: function (info) {
      result.textContent = 'uploaded ' + info.name + ' as VideoId ' + info.videoId;
    },
    onUploadFailed: function (info, code, message) {
      result.textContent = 'failed: ' + code + ': ' + message;
    }
  });
  document.getElementById('file').addEventListener('change', function (event) {
    uploader.addFile(event.target.files[0]);
    uploader.start();
  });
});
