// The script-tag page's own code, in a file of its own so that the page runs under a strict
// Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval', no inline script). With `?sts`
// in its address it uploads in STS mode: it holds an STS token, and the SDK asks VOD itself.
VodUpload.ready.then(function (sdk) {
  var result = document.getElementById('result');
  result.textContent = 'Pick a file.';
  var post = function (path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  };
  var credentials = /[?&]sts\b/.test(location.search) ? {
    getSTSToken: function () { return post('/api/sts-token', { seconds: 3600 }); },
    vodEndpoint: location.origin + '/vod'
  } : {
    getUploadAuth: function (info) {
      return post('/api/upload-auth', { title: info.name, fileName: info.name, fileSize: info.size });
    }
  };
  var uploader = new sdk.VodUploader(Object.assign(credentials, {
    onUploadProgress: function (info, total, loaded) {
      result.textContent = info.name + ': ' + Math.round(loaded * 100) + ' %';
    },
    onUploadSucceed: function (info) {
      result.textContent = 'uploaded ' + info.name + ' as VideoId ' + info.videoId;
    },
    onUploadFailed: function (info, code, message) {
      result.textContent = 'failed: ' + code + ': ' + message;
    }
  }));
  document.getElementById('file').addEventListener('change', function (event) {
    uploader.addFile(event.target.files[0]);
    uploader.start();
  });
});
