// `AliyunUpload.Vod`: the API of aliyun-upload-sdk 1.5.x over this SDK's VodUploader, so that a
// page written for 1.5.x runs unchanged. It only translates: the page's calls into the
// uploader's, the uploader's questions and events into 1.5.x's callbacks. It keeps the list
// 1.5.x pages index into (positions, which shift on delete) and the uploadInfo objects they
// hold on to, and works before the wasm is ready: files wait, and go to the uploader once it is.
//
// `load()` resolves to the SDK: `{ VodUploader, version, findCheckpoint }`.
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
  // VodUploader's options a 1.5.x page may also give, by their own names.
  var PASSED = [
    "partSize",
    "parallel",
    "retryCount",
    "timeout",
    "region",
    "vodEndpoint",
    "checkCrc64",
    "pauseOnCellular",
    "checkpoint",
    "checkpointMaxAge",
  ];
  // An STS token's lifetime when the page gives none: STS's default.
  var STS_LIFETIME_MS = 3600 * 1000;

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

  // A list position from a number or a numeric string, as pages pass `<input>` values.
  function position(index) {
    var n = typeof index === "string" && index.trim() !== "" ? Number(index) : index;
    return typeof n === "number" && Number.isInteger(n) ? n : -1;
  }

  // Base64 of UTF-8 JSON, as UploadAuth and UploadAddress are.
  function fromBase64(text) {
    try {
      var binary = atob(text);
      var bytes = Uint8Array.from(binary, function (c) {
        return c.charCodeAt(0);
      });
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return null;
    }
  }

  function toBase64(value) {
    var bytes = new TextEncoder().encode(JSON.stringify(value));
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  // paramData, as 1.5.x takes it (a JSON string, or nothing), as this SDK's file options.
  function fileOptions(paramData) {
    if (paramData === undefined || paramData === null || paramData === "") return {};
    var parsed = paramData;
    if (typeof paramData === "string") {
      try {
        parsed = JSON.parse(paramData);
      } catch (e) {
        throw named("InvalidArgument", "addFile's paramData is not JSON: " + e.message);
      }
    }
    var vod = (parsed && parsed.Vod) || {};
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
    return options;
  }

  // An STS token from resumeUploadWithSTSToken's or setSTSToken's arguments.
  function stsToken(id, secret, token, expiration) {
    return {
      AccessKeyId: id,
      AccessKeySecret: secret,
      SecurityToken: token,
      Expiration: expiration || new Date(Date.now() + STS_LIFETIME_MS).toISOString(),
    };
  }

  function Vod(options) {
    if (!(this instanceof Vod)) throw new TypeError("AliyunUpload.Vod is a class: use new");
    this._options = options || {};
    // One record a file, in the page's order: its uploadInfo, its index in the uploader (none
    // before the SDK is ready or while canceled), what the uploader waits for, and what the
    // page gave ahead of the question.
    this._list = [];
    this._uploader = null;
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
          console.error("vod-upload: the SDK could not load; nothing will upload.", e);
        }
      );
    }
  }

  Vod.prototype._call = function (name) {
    var callback = this._options[name];
    if (typeof callback !== "function") return;
    try {
      callback.apply(null, Array.prototype.slice.call(arguments, 1));
    } catch (e) {
      report(name, e);
    }
  };

  // The uploader, once the SDK is ready; the files added so far go to it.
  Vod.prototype._begin = function () {
    var self = this;
    var given = this._options;
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
    PASSED.forEach(function (name) {
      if (given[name] !== undefined && given[name] !== null) options[name] = given[name];
    });
    // 1.5.x counts the first retry's delay in seconds.
    if (typeof given.retryDuration === "number") options.retryDuration = given.retryDuration * 1000;
    try {
      this._uploader = new sdk.VodUploader(options);
    } catch (e) {
      console.error("vod-upload: new AliyunUpload.Vod: " + e.message, e);
      return;
    }
    this._list.forEach(function (record) {
      if (!record.canceled) self._failed(record, self._hand(record));
    });
    if (this._startWanted) this.startUpload();
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
      record.info.state = "Failure";
      return e;
    }
  };

  Vod.prototype._failed = function (record, error) {
    if (error) this._call("onUploadFailed", record.info, error.code || "InvalidFile", error.message);
  };

  Vod.prototype._byId = function (id) {
    for (var i = 0; i < this._list.length; i++) {
      if (this._list[i].id === id) return this._list[i];
    }
    return null;
  };

  // The record of an uploadInfo the page hands back: the very object, or one with its File
  // (a page may keep a copy or a framework's proxy of it).
  Vod.prototype._find = function (uploadInfo) {
    var file = uploadInfo && uploadInfo.file;
    var record = null;
    this._list.forEach(function (r) {
      if (r.info === uploadInfo || (!record && file && r.info.file === file)) record = r;
    });
    if (!record) throw named("NoSuchFile", "this uploadInfo is not one of this uploader's files");
    return record;
  };

  // Copies what the uploader says of a file into its uploadInfo.
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
  };

  // The file that waits for new credentials, for the calls that do not name one.
  Vod.prototype._waiting = function () {
    var found = null;
    this._list.forEach(function (r) {
      if (!found && r.id !== null && (r.asked ? r.started : r.state === "Expired")) found = r;
    });
    if (!found) throw named("NotExpired", "no upload is waiting for new credentials");
    return found;
  };

  Vod.prototype.addFile = function (file, endpoint, bucket, object, paramData) {
    if (!(typeof File !== "undefined" && file instanceof File)) return false;
    for (var i = 0; i < this._list.length; i++) {
      if (this._list[i].info.file === file) return false;
    }
    var options = fileOptions(paramData);
    var info = {
      file: file,
      state: "Ready",
      isImage: false,
      endpoint: endpoint || "",
      bucket: bucket || "",
      object: object || "",
      region: this._options.region || "cn-shanghai",
      videoId: "",
      videoInfo: options,
      userData: paramData || "",
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
      fileOptions: options,
      override: { Endpoint: endpoint, Bucket: bucket, FileName: object },
      id: null,
      state: "Ready",
      asked: null,
      granted: null,
      started: false,
      canceled: false,
    };
    this._list.push(record);
    var refused = this._uploader ? this._hand(record) : null;
    this._call("addFileSuccess", info);
    this._failed(record, refused);
    return true;
  };

  Vod.prototype.startUpload = function () {
    if (!this._uploader) {
      this._startWanted = true;
      return;
    }
    var self = this;
    // A file whose upload failed starts over, as a new upload (one the uploader refused, such as
    // an empty file, stays as it is).
    this._list.forEach(function (record) {
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
    if (!this._uploader) return;
    this._syncAll();
    var under = this._list.filter(function (r) {
      return r.id !== null && r.info.state === "Uploading";
    });
    this._uploader.stop();
    this._list.forEach(function (record) {
      record.asked = null;
    });
    this._syncAll();
    var self = this;
    under.forEach(function (record) {
      self._call("onUploadCanceled", record.info, "Stopped", "stopUpload() stopped the upload; startUpload() goes on where it stopped");
    });
  };

  Vod.prototype.setUploadAuthAndAddress = function (uploadInfo, uploadAuth, uploadAddress, videoId) {
    var record = this._find(uploadInfo);
    var override = record.override;
    var address = uploadAddress;
    if (override.Endpoint || override.Bucket || override.FileName) {
      var decoded = fromBase64(uploadAddress);
      if (decoded) {
        Object.keys(override).forEach(function (name) {
          if (override[name]) decoded[name] = override[name];
        });
        address = toBase64(decoded);
      }
    }
    var auth = fromBase64(uploadAuth);
    if (auth && auth.Region) record.info.region = auth.Region;
    var id = videoId || record.info.videoId || undefined;
    var grant = { UploadAuth: uploadAuth, UploadAddress: address };
    if (record.info.isImage) {
      grant.ImageId = id;
      grant.ImageURL = "";
    } else {
      grant.VideoId = id;
    }
    this._grant(record, grant);
  };

  Vod.prototype.setSTSToken = function (uploadInfo, accessKeyId, accessKeySecret, securityToken, expiration) {
    this._grant(this._find(uploadInfo), stsToken(accessKeyId, accessKeySecret, securityToken, expiration));
  };

  Vod.prototype.resumeUploadWithAuth = function (uploadAuth) {
    this._grant(this._waiting(), uploadAuth);
  };

  Vod.prototype.resumeUploadWithToken = function (accessKeyId, accessKeySecret, securityToken, expiration) {
    var auth = { AccessKeyId: accessKeyId, AccessKeySecret: accessKeySecret, SecurityToken: securityToken };
    var until = typeof expiration === "string" ? Date.parse(expiration) : NaN;
    if (!isNaN(until)) {
      auth.ExpireUTCTime = expiration;
      auth.Expiration = Math.max(0, Math.floor((until - Date.now()) / 1000));
    } else {
      auth.Expiration = Number(expiration) > 0 ? Math.floor(Number(expiration)) : STS_LIFETIME_MS / 1000;
    }
    this.resumeUploadWithAuth(toBase64(auth));
  };

  Vod.prototype.resumeUploadWithSTSToken = function (accessKeyId, accessKeySecret, securityToken, expiration) {
    this._grant(this._waiting(), stsToken(accessKeyId, accessKeySecret, securityToken, expiration));
  };

  // Takes a file out of the uploader, its open upload aborted; true if it was uploading.
  Vod.prototype._withdraw = function (record) {
    var uploading = record.info.state === "Uploading";
    if (record.id !== null) this._uploader.deleteFile(record.id);
    record.id = null;
    record.asked = null;
    return uploading;
  };

  Vod.prototype.deleteFile = function (index) {
    var at = position(index);
    var record = this._list[at];
    if (!record) return false;
    this._withdraw(record);
    this._list.splice(at, 1);
    return true;
  };

  Vod.prototype.cancelFile = function (index) {
    this._syncAll();
    var record = this._list[position(index)];
    if (!record || record.canceled || record.info.state === "Success") return false;
    var uploading = this._withdraw(record);
    record.canceled = true;
    record.info.state = "Canceled";
    if (uploading) this._call("onUploadCanceled", record.info, "Canceled", "cancelFile() canceled the upload");
    return true;
  };

  Vod.prototype.resumeFile = function (index) {
    var record = this._list[position(index)];
    if (!record || !record.canceled) return false;
    record.canceled = false;
    record.info.state = "Ready";
    record.info.loaded = 0;
    if (this._uploader) this._failed(record, this._hand(record));
    return true;
  };

  Vod.prototype.cleanList = function () {
    this.stopUpload();
    var self = this;
    this._list.forEach(function (record) {
      self._withdraw(record);
    });
    this._list = [];
  };

  Vod.prototype.listFiles = function () {
    this._syncAll();
    return this._list.map(function (r) {
      return r.info;
    });
  };

  // What an earlier page left of this file's upload, in 1.5.x's shape; "" when there is none
  // (or before the SDK is ready).
  Vod.prototype.getCheckpoint = function (file) {
    var found = sdk && file instanceof File ? sdk.findCheckpoint(file, false) : null;
    if (!found) return "";
    var listed = this._list.filter(function (r) {
      return r.info.file === file;
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
      state: listed ? listed.info.state : "Stoped",
    };
  };

  Vod.prototype.getVersion = function () {
    return version;
  };

  return { Vod: Vod };
}
