// Streams for VodUploader: `uploader.addStream(stream, info)` reads a ReadableStream of Blobs
// or bytes while the uploader wants bytes, holds each chunk as a Blob until OSS holds every
// byte of it, and tells the uploader of each chunk, the end, or the failure; the parts are cut
// from the chunks held (`slice`). `recorderStream(recorder)` makes such a stream of a
// MediaRecorder. Here, not in the wasm, because it is only plumbing between browser objects.
// eslint-disable-next-line no-unused-vars
function vodStreams(VodUploader) {
  "use strict";

  function fail(code, message) {
    var error = new Error(message);
    error.name = "VodUploadError";
    error.code = code;
    return error;
  }

  // The bytes read and not yet let go: chunks as [start, end, blob], in order.
  function Held() {
    this.chunks = [];
    this.waiting = null;
    this.cancelled = false;
  }
  Held.prototype.slice = function (start, end) {
    var pieces = [];
    this.chunks.forEach(function (c) {
      if (c[0] < end && start < c[1]) {
        pieces.push(c[2].slice(Math.max(start, c[0]) - c[0], Math.min(end, c[1]) - c[0]));
      }
    });
    return new Blob(pieces);
  };
  // OSS holds [start, end): the chunks it holds whole are let go.
  Held.prototype.release = function (start, end) {
    var released = (this.released = this.released || []);
    released.push([start, end]);
    released.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    released.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && last[1] >= r[0]) last[1] = Math.max(last[1], r[1]);
      else merged.push(r);
    });
    this.released = merged;
    this.chunks = this.chunks.filter(function (c) {
      return !merged.some(function (r) { return r[0] <= c[0] && c[1] <= r[1]; });
    });
    this.wake();
  };
  Held.prototype.wake = function () {
    var resolve = this.waiting;
    this.waiting = null;
    if (resolve) resolve();
  };
  Held.prototype.cancel = function () {
    this.cancelled = true;
    this.wake();
  };

  // A chunk as a Blob: a Blob as it is, bytes copied into one; null for anything else.
  function blobOf(value) {
    if (value instanceof Blob) return value;
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return new Blob([value]);
    return null;
  }

  // Stopped, the uploader wants bytes again; a deleted stream is cancelled.
  var proto = VodUploader.prototype;
  var stop = proto.stop;
  var deleteFile = proto.deleteFile;
  proto.stop = function () {
    stop.call(this);
    for (var index in this._held) this._held[index].wake();
  };
  proto.deleteFile = function (index) {
    deleteFile.call(this, index);
    if (this._held && this._held[index]) {
      this._held[index].cancel();
      delete this._held[index];
    }
  };

  proto.addStream = function (stream, info) {
    if (!stream || typeof stream.getReader !== "function") {
      throw fail("InvalidArgument", "addStream takes a ReadableStream (of Blobs or bytes), such as recorderStream(mediaRecorder) makes");
    }
    info = info || {};
    if (typeof info.name !== "string" || info.name.lastIndexOf(".") < 1) {
      throw fail("InvalidArgument", 'addStream\'s info.name must be the file name with its extension, such as "lesson.webm"');
    }
    var id = info.id;
    if (id === undefined) {
      id = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(8)), function (b) {
        return (b + 256).toString(16).slice(1);
      }).join("");
    }
    if (typeof id !== "string" || !id) throw fail("InvalidArgument", "addStream's info.id must be a string");
    var held = new Held();
    var index = this._addStream(held, stream, info, id);
    var uploader = this;
    (this._held = this._held || {})[index] = held;
    var reader = stream.getReader();
    (async function () {
      var size = 0;
      for (;;) {
        // Told nothing new, the uploader says whether it wants more.
        while (!held.cancelled && !uploader._stream(index, size, false)) {
          await new Promise(function (resolve) { held.waiting = resolve; });
        }
        if (held.cancelled) return reader.cancel();
        var read = await reader.read();
        if (read.done) return uploader._stream(index, size, true);
        var chunk = blobOf(read.value);
        if (!chunk) throw new Error("the stream gave something that is neither bytes nor a Blob");
        held.chunks.push([size, size + chunk.size, chunk]);
        size += chunk.size;
      }
    })().catch(function (error) {
      uploader._stream(index, 0, false, String((error && error.message) || error), !!info.keepOnError);
    });
    return index;
  };
}

// A ReadableStream of the Blobs a MediaRecorder records, for addStream: each `dataavailable`
// chunk as it comes; it ends when the recorder stops, and fails when it fails.
// eslint-disable-next-line no-unused-vars
function recorderStream(recorder) {
  "use strict";
  return new ReadableStream({
    start: function (controller) {
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data.size) controller.enqueue(event.data);
      });
      recorder.addEventListener("stop", function () {
        controller.close();
      }, { once: true });
      recorder.addEventListener("error", function (event) {
        controller.error(event.error || new Error("the MediaRecorder failed"));
      }, { once: true });
    },
  });
}
