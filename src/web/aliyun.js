// `AliyunUpload.Vod`: the API of aliyun-upload-sdk 1.5.x over this SDK's VodUploader, so that a
// page written for 1.5.x runs unchanged, habits included. It only translates: the page's calls
// into the uploader's, the uploader's questions and events into 1.5.x's callbacks. It keeps what
// 1.5.x pages reach into (the options object, the `_uploadList` array of uploadInfo objects,
// positions that shift on delete) and works before the wasm is ready: files wait, and go to the
// uploader once it is. Credentials are decoded, encoded and timed by the SDK (`aliyun*`).
//
// `load()` resolves to the SDK's exports: `VodUploader`, `findCheckpoint` and the `aliyun*`
// functions.
// eslint-disable-next-line no-unused-vars
function aliyunUpload(load, version) {
  "use strict";

  // 1.5.x's state names, spelling kept. Waiting for the network or for credentials is still
  // uploading to a 1.5.x page.
  var STATES = {
    Ready: "Ready",
    Uploading: "Uploading",
    Waiting: "Uploading",
    Expired: "Uploading",
    Stopped: "Stoped",
    Success: "Success",
    Failure: "Failure",
  };
  // What 1.5.x writes into the page's options object when the page left it out (or gave a value
  // that is false, such as `''`).
  var DEFAULTS = {
    partSize: 1048576,
    parallel: 5,
    region: "cn-shanghai",
    cname: false,
    localCheckpoint: false,
    enableUploadProgress: true,
  };
  // 1.5.x's paramData.Vod fields, and this SDK's file options they become.
  var FIELDS = {
    Title: "title",
    Description: "description",
    CateId: "cateId",
    Tags: "tags",
    TemplateGroupId: "templateGroupId",
    StorageLocation: "storageLocation",
    CoverURL: "coverUrl",
    WorkflowId: "workflowId",
    UserData: "userData",
    ImageType: "imageType",
    AppId: "appId",
  };
  // VodUploader's numeric options, which 1.5.x pages also give as strings.
  var NUMBERS = ["partSize", "parallel", "retryCount", "timeout"];
  // The others a 1.5.x page may give by the same names.
  var PASSED = ["region", "vodEndpoint", "checkCrc64", "pauseOnCellular", "checkpoint", "checkpointMaxAge"];
  // uploadInfo.fileHash is the MD5 of the file's first MiB.
  var HASHED = 1048576;

  var sdk = null;
  var loading = Promise.resolve()
    .then(load)
    .then(function (loaded) {
      sdk = loaded;
      return loaded;
    });

  function named(code, message) {
    var error = new Error(message);
    error.name = "VodUploadError";
    error.code = code;
    return error;
  }

  function report(name, thrown) {
    console.error("vod-upload:", name + " threw; the upload goes on.", thrown);
  }

  // A number from a number or a numeric string, as pages pass `<input>` values; NaN otherwise.
  function numeric(value) {
    var n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    return typeof n === "number" ? n : NaN;
  }

  // A list position: a whole number, or -1.
  function position(index) {
    var n = numeric(index);
    return Number.isInteger(n) ? n : -1;
  }

  // paramData, as 1.5.x takes it (a JSON string, or nothing): its `Vod` object, and this SDK's
  // file options from it.
  function userData(paramData) {
    var parsed = paramData;
    if (typeof paramData === "string" && paramData !== "") {
      try {
        parsed = JSON.parse(paramData);
      } catch (e) {
        throw named("InvalidArgument", "addFile's paramData is not JSON: " + e.message);
      }
    }
    var vod = (parsed && typeof parsed === "object" && parsed.Vod) || {};
    var options = {};
    Object.keys(FIELDS).forEach(function (field) {
      var value = vod[field];
      if (value === undefined || value === null || value === "") return;
      if (field === "CateId" && typeof value === "string") value = Number(value);
      if (field === "UserData" && typeof value === "string") {
        try {
          value = JSON.parse(value);
        } catch (e) {
          throw named("InvalidArgument", "paramData's Vod.UserData is not JSON: " + e.message);
        }
      }
      options[FIELDS[field]] = value;
    });
    return { vod: vod, options: options };
  }

  // 1.5.x's own record of a file's upload under way, under its key; pages read its videoId to
  // resume after a reload. Where the upload goes and how far it got, never a credential. Storage
  // is written only when the record changes (`record.remembered` is what was written last, null
  // when removed).
  function remember(record, keep) {
    var info = record.info;
    var file = info.file;
    var key = "upload_" + file.lastModified + "_" + file.name + "_" + file.size;
    var value = keep
      ? JSON.stringify({
          fileName: file.name,
          lastModified: file.lastModified,
          size: file.size,
          object: info.object,
          videoId: info.videoId,
          bucket: info.bucket,
          endpoint: info.endpoint,
          loaded: info.loaded,
          state: info.state,
        })
      : null;
    if (value === record.remembered) return;
    record.remembered = value;
    try {
      if (value) localStorage.setItem(key, value);
      else localStorage.removeItem(key);
    } catch (e) {
      // No storage (private mode, a sandbox): nothing to keep.
    }
  }

  // Credentials made by the SDK's `aliyun*` function `name`: at once, or (given ahead of the
  // uploader's question, before the SDK is there) once it is.
  function made(name, args) {
    var make = function () {
      return sdk[name].apply(null, args);
    };
    return sdk ? make() : loading.then(make);
  }

  function Vod(options) {
    if (!(this instanceof Vod)) throw new TypeError("AliyunUpload.Vod is a class: use new");
    // The page's own object, kept: pages change options and callbacks through it later.
    var given = options && typeof options === "object" ? options : {};
    Object.keys(DEFAULTS).forEach(function (name) {
      given[name] = given[name] || DEFAULTS[name];
    });
    this.options = given;
    // 1.5.x's list: the very uploadInfo objects the callbacks get, in the page's order. Pages
    // read it, and some empty it (`length = 0`).
    this._uploadList = [];
    // One record a file in that list: its uploadInfo, its index in the uploader (none before the
    // SDK is ready or while canceled), what the uploader waits for, and what the page gave ahead
    // of the question.
    this._records = [];
    this._uploader = null;
    // Why no uploader could be made; every file then fails with it.
    this._broken = null;
    this._startWanted = false;
    this._last = null;
    var self = this;
    if (sdk) {
      this._begin();
    } else {
      loading.then(
        function () {
          self._begin();
        },
        function (e) {
          self._break(named("SdkNotLoaded", "the SDK could not load: " + ((e && e.message) || e)));
        }
      );
    }
  }

  // Calls the page's callback as 1.5.x does: looked up now, `this` the options object, and
  // whatever it throws reported and otherwise ignored.
  Vod.prototype._call = function (name) {
    var options = this.options;
    var callback = options && options[name];
    if (typeof callback !== "function") return;
    try {
      callback.apply(options, Array.prototype.slice.call(arguments, 1));
    } catch (e) {
      report(name, e);
    }
  };

  // The uploader, once the SDK is ready; the files added so far go to it.
  Vod.prototype._begin = function () {
    var self = this;
    var given = this.options;
    var options = {
      getUploadAuth: function (info) {
        return self._ask(info, false);
      },
      refreshUploadAuth: function (info) {
        return self._ask(info, true);
      },
      onUploadStarted: function (info) {
        var record = self._byId(info.index);
        if (record) self._sync(record, info);
      },
      onUploadProgress: function (info, total, fraction) {
        self._on(info, "onUploadProgress", [total, fraction]);
      },
      onUploadSucceed: function (info) {
        self._last = self._on(info, "onUploadSucceed", []) || self._last;
      },
      onUploadFailed: function (info, code, message) {
        self._last = self._on(info, "onUploadFailed", [code, message]) || self._last;
      },
      onUploadTokenExpired: function (info) {
        self._on(info, "onUploadTokenExpired", []);
      },
      onUploadRetry: function (info, code, message) {
        var record = self._on(info, "onUploadRetry", [code, message]);
        if (record) record.info.retry = true;
      },
      onUploadRetryResume: function (info) {
        var record = self._on(info, "onUploadRetryResume", []);
        if (record) record.info.retry = false;
      },
      onUploadEnd: function () {
        self._call("onUploadEnd", self._last && self._last.info);
      },
    };
    // Loose, as 1.5.x takes them: '3' is 3, and '' or a word is 1.5.x's default, if it has one.
    NUMBERS.forEach(function (name) {
      var n = numeric(given[name]);
      if (!(n >= 0)) n = numeric(DEFAULTS[name]);
      if (n >= 0) options[name] = n;
    });
    // 1.5.x counts the first retry's delay in seconds.
    var seconds = numeric(given.retryDuration);
    if (seconds >= 0) options.retryDuration = seconds * 1000;
    PASSED.forEach(function (name) {
      var value = given[name];
      if (value !== undefined && value !== null && value !== "") options[name] = value;
    });
    try {
      this._uploader = new sdk.VodUploader(options);
    } catch (e) {
      this._break(e);
      return;
    }
    this._records.forEach(function (record) {
      if (!record.canceled) self._failed(record, self._hand(record));
    });
    if (this._startWanted) this.startUpload();
  };

  // No uploader can be made: said on the console, and to the page for each file, now and as
  // each is added.
  Vod.prototype._break = function (error) {
    console.error("vod-upload: new AliyunUpload.Vod: " + error.message, error);
    this._broken = error;
    var self = this;
    this._records.forEach(function (record) {
      if (!record.canceled) self._failed(record, error);
    });
  };

  // Gives a file to the uploader; what it refuses (an empty file, bad paramData) fails the file.
  Vod.prototype._hand = function (record) {
    try {
      record.id = this._uploader.addFile(record.info.file, record.fileOptions);
      record.started = false;
      this._syncAll();
      return null;
    } catch (e) {
      record.id = null;
      return e;
    }
  };

  Vod.prototype._failed = function (record, error) {
    if (!error) return;
    record.info.state = "Failure";
    this._call("onUploadFailed", record.info, error.code || "InvalidFile", error.message);
  };

  Vod.prototype._byId = function (id) {
    for (var i = 0; i < this._records.length; i++) {
      if (this._records[i].id === id) return this._records[i];
    }
    return null;
  };

  // The record of an uploadInfo the page hands back: the very object, or one with its File
  // (a page may keep a copy or a framework's proxy of it); null for none.
  Vod.prototype._find = function (uploadInfo) {
    this._reconcile();
    var file = uploadInfo && uploadInfo.file;
    var record = null;
    this._records.forEach(function (r) {
      if (r.info === uploadInfo || (!record && file && r.info.file === file)) record = r;
    });
    if (!record) console.warn("vod-upload: this uploadInfo is not one of this uploader's files; nothing done");
    return record;
  };

  // Files the page took out of `_uploadList` itself leave the uploader, as deleteFile's do.
  Vod.prototype._reconcile = function () {
    var list = this._uploadList;
    var self = this;
    this._records = this._records.filter(function (record) {
      if (list.indexOf(record.info) !== -1) return true;
      self._withdraw(record);
      return false;
    });
  };

  // Copies what the uploader says of a file into its uploadInfo, and 1.5.x's record of it.
  Vod.prototype._sync = function (record, info) {
    if (record.id === null) return;
    var u = record.info;
    record.state = info.state;
    u.state = STATES[info.state];
    u.isImage = info.isImage;
    u.loaded = info.size ? info.loaded / info.size : 0;
    u.videoId = info.videoId || (info.imageId ? "" : u.videoId);
    u.endpoint = info.endpoint || u.endpoint;
    u.bucket = info.bucket || u.bucket;
    u.object = info.object || u.object;
    if (info.imageId) {
      u.imageId = info.imageId;
      u.imageUrl = info.imageUrl;
    }
    remember(record, !!u.object && u.state !== "Success");
  };

  // Every uploadInfo as the uploader sees its file now.
  Vod.prototype._syncAll = function () {
    if (!this._uploader) return;
    var self = this;
    this._uploader.listFiles().forEach(function (info) {
      var record = self._byId(info.index);
      if (record) self._sync(record, info);
    });
  };

  // An event of the uploader, as 1.5.x's callback `name` with the file's uploadInfo.
  Vod.prototype._on = function (info, name, rest) {
    var record = this._byId(info.index);
    if (!record) return null;
    if (this._uploadList.indexOf(record.info) === -1) {
      // The page took it out of `_uploadList` while it uploads: out of the uploader too, once
      // this event is over.
      Promise.resolve().then(this._reconcile.bind(this));
      return null;
    }
    this._sync(record, info);
    this._call.apply(this, [name, record.info].concat(rest));
    return record;
  };

  // The uploader asks for a file's credentials: 1.5.x asks the page in onUploadstarted (a
  // file's first time, with uploadInfo.videoId set when it resumes an earlier page's upload)
  // or in onUploadTokenExpired, and the page answers with setUploadAuthAndAddress,
  // setSTSToken or a resume call. An answer given ahead of the question is taken at once.
  Vod.prototype._ask = function (info, refresh) {
    var record = this._byId(info.index);
    if (!record) return Promise.reject(new Error("the file was taken out"));
    this._sync(record, info);
    if (record.granted) {
      var granted = record.granted;
      record.granted = null;
      record.started = true;
      return granted;
    }
    var self = this;
    var first = !refresh || !record.started;
    record.started = true;
    return new Promise(function (resolve) {
      record.asked = resolve;
      // Not from within the uploader's own call: the page may call anything back.
      Promise.resolve().then(function () {
        self._reconcile();
        if (record.asked !== resolve) return;
        self._call(first ? "onUploadstarted" : "onUploadTokenExpired", record.info);
      });
    });
  };

  // Answers the uploader's question about `record`; kept for its next one if none is open.
  Vod.prototype._grant = function (record, grant) {
    if (record.asked) {
      var resolve = record.asked;
      record.asked = null;
      resolve(grant);
    } else if (this._uploader && record.state === "Expired") {
      this._uploader.resumeUploadWithToken(grant);
    } else {
      record.granted = grant;
    }
    return true;
  };

  // The file that waits for new credentials, for the calls that do not name one; null for none.
  Vod.prototype._waiting = function () {
    this._reconcile();
    var found = null;
    this._records.forEach(function (r) {
      if (!found && r.id !== null && (r.asked ? r.started : r.state === "Expired")) found = r;
    });
    if (!found) console.warn("vod-upload: no upload is waiting for new credentials; nothing done");
    return found;
  };

  // The fileHash of 1.5.x: filled in once the SDK has read the file's first MiB. One file at a
  // time, so that a thousand files added at once hold one MiB, not a thousand.
  var hashing = loading;
  function hash(info) {
    hashing = hashing
      .then(function () {
        return info.file.slice(0, HASHED).arrayBuffer();
      })
      .then(function (bytes) {
        info.fileHash = sdk.aliyunFileHash(new Uint8Array(bytes));
      })
      .catch(function () {
        // Unreadable now: the upload will say so.
      });
  }

  Vod.prototype.addFile = function (file, endpoint, bucket, object, paramData) {
    this._reconcile();
    if (!(typeof File !== "undefined" && file instanceof File)) return false;
    for (var i = 0; i < this._records.length; i++) {
      if (this._records[i].info.file === file) return false;
    }
    var data = userData(paramData);
    var info = {
      file: file,
      state: "Ready",
      isImage: false,
      endpoint: endpoint || "",
      bucket: bucket || "",
      object: object || "",
      region: this.options.region || DEFAULTS.region,
      videoId: "",
      videoInfo: data.vod,
      userData: typeof paramData === "string" ? paramData : "",
      loaded: 0,
      ri: Math.random().toString(36).slice(2) + Date.now().toString(36),
      retry: false,
    };
    var self = this;
    // What this SDK's checkpoint holds of the file now, as getCheckpoint tells it.
    Object.defineProperty(info, "checkpoint", {
      enumerable: true,
      get: function () {
        return self.getCheckpoint(file) || null;
      },
    });
    var record = {
      info: info,
      fileOptions: data.options,
      override: [endpoint, bucket, object],
      id: null,
      state: "Ready",
      asked: null,
      granted: null,
      started: false,
      canceled: false,
      // Unknown at first: an earlier page may have left a record under the file's key.
      remembered: undefined,
    };
    this._uploadList.push(info);
    this._records.push(record);
    var refused = this._broken || (this._uploader ? this._hand(record) : null);
    hash(info);
    this._call("addFileSuccess", info);
    this._failed(record, refused);
    return true;
  };

  Vod.prototype.startUpload = function () {
    this._reconcile();
    if (!this._uploader) {
      this._startWanted = !this._broken;
      return;
    }
    var self = this;
    // A file whose upload failed starts over, as a new upload (one the uploader refused, such as
    // an empty file, stays as it is).
    this._records.forEach(function (record) {
      if (record.canceled || record.id === null || record.info.state !== "Failure") return;
      self._uploader.deleteFile(record.id);
      self._failed(record, self._hand(record));
    });
    try {
      this._uploader.start();
    } catch (e) {
      // Already uploading: files added meanwhile join the upload under way.
      if (e.code !== "AlreadyStarted") throw e;
    }
  };

  Vod.prototype.stopUpload = function () {
    this._startWanted = false;
    this._reconcile();
    if (!this._uploader) return;
    this._syncAll();
    var under = this._records.filter(function (r) {
      return r.id !== null && r.info.state === "Uploading";
    });
    this._uploader.stop();
    this._records.forEach(function (record) {
      record.asked = null;
    });
    this._syncAll();
    var self = this;
    under.forEach(function (record) {
      self._call("onUploadCanceled", record.info, "Stopped", "stopUpload() stopped the upload; startUpload() goes on where it stopped");
    });
  };

  // The 4th argument is the VideoId, or for an image its ImageId; a page may leave it out.
  Vod.prototype.setUploadAuthAndAddress = function (uploadInfo, uploadAuth, uploadAddress, videoId) {
    var record = this._find(uploadInfo);
    if (!record) return false;
    var o = record.override;
    var address = uploadAddress;
    if (sdk && typeof uploadAddress === "string" && (o[0] || o[1] || o[2])) {
      address = sdk.aliyunAddress(uploadAddress, o[0] || null, o[1] || null, o[2] || null);
    }
    // The Region inside the UploadAuth wins, as in 1.5.x, which writes it into the options too.
    var region = sdk && typeof uploadAuth === "string" ? sdk.aliyunRegion(uploadAuth) : null;
    if (region) record.info.region = this.options.region = region;
    var id = videoId || record.info.videoId || undefined;
    var grant = { UploadAuth: uploadAuth, UploadAddress: address };
    if (record.info.isImage) {
      grant.ImageId = id;
      grant.ImageURL = "";
    } else {
      grant.VideoId = id;
    }
    return this._grant(record, grant);
  };

  Vod.prototype.setSTSToken = function (uploadInfo, accessKeyId, accessKeySecret, securityToken, expiration) {
    var record = this._find(uploadInfo);
    return !!record && this._grant(record, made("aliyunStsToken", [accessKeyId, accessKeySecret, securityToken, expiration]));
  };

  Vod.prototype.resumeUploadWithAuth = function (uploadAuth) {
    var record = this._waiting();
    return !!record && this._grant(record, uploadAuth);
  };

  Vod.prototype.resumeUploadWithToken = function (accessKeyId, accessKeySecret, securityToken, expiration) {
    var record = this._waiting();
    return !!record && this._grant(record, made("aliyunUploadAuth", [accessKeyId, accessKeySecret, securityToken, expiration]));
  };

  Vod.prototype.resumeUploadWithSTSToken = function (accessKeyId, accessKeySecret, securityToken, expiration) {
    var record = this._waiting();
    return !!record && this._grant(record, made("aliyunStsToken", [accessKeyId, accessKeySecret, securityToken, expiration]));
  };

  // Takes a file out of the uploader, its open upload aborted; true if it was uploading.
  Vod.prototype._withdraw = function (record) {
    var uploading = record.info.state === "Uploading";
    if (record.id !== null) this._uploader.deleteFile(record.id);
    record.id = null;
    record.asked = null;
    remember(record, false);
    return uploading;
  };

  Vod.prototype.deleteFile = function (index) {
    var at = position(index);
    if (!this._uploadList[at]) return false;
    this._uploadList.splice(at, 1);
    this._reconcile();
    return true;
  };

  // The record of the file at list position `index`; null for none.
  Vod.prototype._at = function (index) {
    this._reconcile();
    var info = this._uploadList[position(index)];
    return (
      this._records.filter(function (r) {
        return r.info === info;
      })[0] || null
    );
  };

  Vod.prototype.cancelFile = function (index) {
    var record = this._at(index);
    this._syncAll();
    if (!record || record.canceled || record.info.state === "Success") return false;
    var info = record.info;
    var uploading = this._withdraw(record);
    record.canceled = true;
    info.state = "Canceled";
    if (uploading) this._call("onUploadCanceled", info, "Canceled", "cancelFile() canceled the upload");
    return true;
  };

  Vod.prototype.resumeFile = function (index) {
    var record = this._at(index);
    if (!record || !record.canceled) return false;
    record.canceled = false;
    record.info.state = "Ready";
    record.info.loaded = 0;
    if (this._uploader) this._failed(record, this._hand(record));
    return true;
  };

  Vod.prototype.cleanList = function () {
    this.stopUpload();
    this._uploadList.length = 0;
    this._reconcile();
  };

  // 1.5.x's own list, each uploadInfo as the uploader sees its file now.
  Vod.prototype.listFiles = function () {
    this._reconcile();
    this._syncAll();
    return this._uploadList;
  };

  // What an earlier page left of this file's upload, in 1.5.x's shape; "" when there is none
  // (or before the SDK is ready).
  Vod.prototype.getCheckpoint = function (file) {
    var found = sdk && file instanceof File ? sdk.findCheckpoint(file, false) : null;
    if (!found) return "";
    var listed = this._uploadList.filter(function (info) {
      return info.file === file;
    })[0];
    return {
      fileName: file.name,
      lastModified: file.lastModified,
      size: file.size,
      object: found.object,
      videoId: found.videoId || "",
      bucket: found.bucket,
      endpoint: found.endpoint,
      loaded: found.loaded / file.size,
      state: listed ? listed.state : "Stoped",
    };
  };

  Vod.prototype.getVersion = function () {
    return version;
  };

  return { Vod: Vod };
}
