// Streams for VodUploader: `uploader.addStream(stream, info)` reads a ReadableStream of Blobs
// or bytes while the uploader wants bytes, holds each chunk as a Blob (and in IndexedDB) until
// OSS holds every byte of it, and tells the uploader of each chunk, the end, or the failure; the
// parts are cut from the chunks held (`slice`). `vodStreams` returns `findRecordings`, for the
// page after a reload. `recorderStream(recorder)` makes a stream of a MediaRecorder. Here, not
// in the wasm, because it is only plumbing between browser objects.
// eslint-disable-next-line no-unused-vars
function vodStreams(VodUploader) {
  "use strict";

  function fail(code, message) {
    var error = new Error(message);
    error.name = "VodUploadError";
    error.code = code;
    return error;
  }

  // IndexedDB, where each stream's bytes not yet let go are kept until OSS holds them, so that
  // a page that dies loses nothing: `streams` holds what a stream is (by its id), `chunks` its
  // chunks (by [id, start]). `keep(mode, work)` runs `work(streams, chunks)` in one
  // transaction; it resolves with what `work` returns once that is written.
  var opened;
  function keep(mode, work) {
    opened = opened || new Promise(function (resolve, reject) {
      var open = indexedDB.open("vod-upload", 1);
      open.onupgradeneeded = function () {
        open.result.createObjectStore("streams");
        open.result.createObjectStore("chunks");
      };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
    return opened.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(["streams", "chunks"], mode);
        var result = work(tx.objectStore("streams"), tx.objectStore("chunks"));
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  // Forgets all that is kept of stream `id`.
  function forget(id) {
    delete here[id];
    return keep("readwrite", function (streams, chunks) {
      streams.delete(id);
      chunks.delete(all(id));
    });
  }
  // Every chunk key of stream `id`.
  function all(id) {
    return IDBKeyRange.bound([id], [id, []]);
  }
  // The streams this page reads or resumed, by id: not an earlier page's to find.
  var here = {};

  // The bytes of stream `id` read and not yet let go: chunks as [start, end, blob], in order,
  // each kept in IndexedDB too until OSS holds it; `record` is what is kept of the stream.
  function Held(id, record) {
    here[id] = true;
    this.id = id;
    this.record = record;
    this.chunks = [];
    this.waiting = null;
    this.cancelled = false;
  }
  Held.prototype.add = function (blob) {
    var record = this.record;
    // Its upload is over: nothing more is kept.
    if (this.cancelled) return Promise.resolve();
    var chunk = [record.size, record.size + blob.size, blob];
    this.chunks.push(chunk);
    record.size = chunk[1];
    var id = this.id;
    return keep("readwrite", function (streams, chunks) {
      streams.put(record, id);
      chunks.put(chunk, [id, chunk[0]]);
    });
  };
  Held.prototype.slice = function (start, end) {
    var pieces = [];
    this.chunks.forEach(function (c) {
      if (c[0] < end && start < c[1]) {
        pieces.push(c[2].slice(Math.max(start, c[0]) - c[0], Math.min(end, c[1]) - c[0]));
      }
    });
    return new Blob(pieces);
  };
  // OSS holds [start, end): the chunks it holds whole are let go. All of it (an end past any
  // stream's) once the upload is over: nothing is kept any more.
  Held.prototype.release = function (start, end) {
    var id = this.id;
    if (end > Number.MAX_SAFE_INTEGER) {
      // The upload is over: the stream is read no more.
      this.chunks = [];
      this.cancelled = true;
      this.wake();
      forget(id);
      return;
    }
    // Each chunk counts the bytes of it OSS holds (no byte is released twice).
    var gone = [];
    this.chunks = this.chunks.filter(function (c) {
      c[3] = (c[3] || 0) + Math.max(0, Math.min(end, c[1]) - Math.max(start, c[0]));
      if (c[3] < c[1] - c[0]) return true;
      gone.push(c[0]);
    });
    if (gone.length) {
      keep("readwrite", function (streams, chunks) {
        gone.forEach(function (at) { chunks.delete([id, at]); });
      });
    }
    this.wake();
  };
  Held.prototype.wake = function () {
    var resolve = this.waiting;
    this.waiting = null;
    if (resolve) resolve();
  };
  Held.prototype.cancel = function () {
    this.release(0, Infinity);
  };

  // Lists the stream `held` holds in `uploader`; its index.
  function adopt(uploader, held, stream, info) {
    var index = uploader._addStream(held, stream, info, held.id);
    (uploader._held = uploader._held || {})[index] = held;
    return index;
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
      throw fail("InvalidArgument", "addStream takes a ReadableStream of Blobs or bytes");
    }
    info = info || {};
    if (typeof info.name !== "string" || info.name.lastIndexOf(".") < 1) {
      throw fail("InvalidArgument", 'addStream\'s info.name must be the file name with its extension, such as "lesson.webm"');
    }
    // A name, not a secret: unique is enough.
    var id = info.id === undefined ? Date.now().toString(36) + Math.random().toString(36).slice(2) : info.id;
    if (typeof id !== "string" || !id) throw fail("InvalidArgument", "addStream's info.id must be a string");
    var held = new Held(id, { info: JSON.parse(JSON.stringify(info)), size: 0, saved: Date.now() });
    var uploader = this;
    var index = adopt(uploader, held, stream, info);
    var reader = stream.getReader();
    (async function () {
      for (;;) {
        // Told nothing new, the uploader says whether it wants more. A recording is read as it
        // comes, whatever the uploader wants, so that all of it is kept should the page die.
        while (!held.cancelled && !uploader._stream(index, held.record.size, false) && !stream.live) {
          await new Promise(function (resolve) { held.waiting = resolve; });
        }
        if (held.cancelled) return reader.cancel();
        var read = await reader.read();
        if (read.done) return uploader._stream(index, held.record.size, true);
        var value = read.value;
        if (!(value instanceof Blob || value instanceof ArrayBuffer || ArrayBuffer.isView(value))) {
          throw new Error("the stream gave something that is neither bytes nor a Blob");
        }
        // A Blob as it is, bytes copied into one; kept before the uploader may send it (where
        // IndexedDB fails, only the resume after a reload is lost).
        await held.add(new Blob([value])).catch(function () {});
      }
    })().catch(function (error) {
      // Kept, it is for a later page to find (this one can too).
      if (info.keepOnError) delete here[id];
      uploader._stream(index, 0, false, String((error && error.message) || error), !!info.keepOnError);
    });
    return index;
  };

  // The streams an earlier page left unfinished (it closed or crashed, or a stream failed with
  // keepOnError; not those of this page), each with what it kept: `{ id, name, size, saved, info, resume(uploader),
  // discard() }`. `resume` adds it to `uploader` as it is, ended: `start()` sends what was kept
  // into the same upload and completes it. `discard` lets what was kept go.
  return function findRecordings() {
    return keep("readonly", function (streams) {
      var ids = streams.getAllKeys();
      var records = streams.getAll();
      return function () {
        return records.result
          .map(function (record, i) { return found(ids.result[i], record); })
          .filter(function (recording) { return !here[recording.id]; });
      };
    }).then(function (list) { return list(); });
  };

  function found(id, record) {
    return {
      id: id,
      name: record.info.name,
      size: record.size,
      saved: record.saved,
      info: record.info,
      resume: function (uploader) {
        return keep("readonly", function (streams, chunks) { return chunks.getAll(all(id)); })
          .then(function (read) {
            var held = new Held(id, record);
            held.chunks = read.result;
            var first = held.chunks.length ? held.chunks[0][0] : record.size;
            // Bytes let go went to an upload that only its checkpoint finds again.
            if (first > 0 && !localStorage.getItem("vod-upload:checkpoint:stream:" + id)) {
              throw fail("StreamLost", "the upload this stream's first bytes went to cannot be found again");
            }
            var index = adopt(uploader, held, null, record.info);
            uploader._stream(index, record.size, true);
            return index;
          });
      },
      discard: function () {
        return forget(id);
      },
    };
  }
}

// A ReadableStream of the Blobs a MediaRecorder records, for addStream: each `dataavailable`
// chunk as it comes; it ends when the recorder stops, and fails when it fails.
// eslint-disable-next-line no-unused-vars
function recorderStream(recorder) {
  "use strict";
  var stream = new ReadableStream({
    start: function (controller) {
      // A stream the SDK let go (its upload is over) takes nothing more, and is not closed.
      function on(name, act) {
        recorder.addEventListener(name, function (event) {
          try { act(event); } catch (e) { /* let go */ }
        });
      }
      on("dataavailable", function (event) {
        if (event.data.size) controller.enqueue(event.data);
      });
      on("stop", function () { controller.close(); });
      on("error", function (event) {
        controller.error(event.error || new Error("the MediaRecorder failed"));
      });
    },
  });
  stream.live = true;
  return stream;
}
