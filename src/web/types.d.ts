/** A file's state in the list. */
/** `Waiting`: uploading, but waiting for the network (offline, or cellular with `pauseOnCellular`). */
export type FileState = "Ready" | "Uploading" | "Waiting" | "Stopped" | "Expired" | "Success" | "Failure";

/** The SDK's own error codes. */
export type SdkErrorCode =
  | "InvalidArgument"
  | "InvalidFile"
  | "EmptyFile"
  | "FileTooLarge"
  | "InvalidPartSize"
  | "InvalidUploadAuth"
  | "InvalidUploadAddress"
  | "InvalidStsToken"
  | "GetUploadAuthFailed"
  | "GetSTSTokenFailed"
  | "NoSuchFile"
  | "AlreadyStarted"
  | "NotExpired"
  | "NetworkError"
  | "Timeout"
  | "CorsEtagNotExposed"
  | "InvalidResponse"
  | "Crc64Mismatch"
  /** In `onUploadRetry`: the browser went offline; the upload waits for the network. */
  | "NetworkOffline"
  /** In `onUploadRetry`: the connection turned cellular and `pauseOnCellular` is set. */
  | "CellularNetwork"
  /** A stream given to `addStream` failed before its end. */
  | "StreamFailed"
  /** A stream's multipart upload was lost, and the bytes OSS had acknowledged are not kept. */
  | "StreamLost";

/** OSS error codes the SDK passes on as the server named them. */
export type OssErrorCode =
  | "SignatureDoesNotMatch"
  | "AccessDenied"
  | "InvalidAccessKeyId"
  | "InvalidSecurityToken"
  | "SecurityTokenExpired"
  | "RequestTimeTooSkewed"
  | "NoSuchUpload"
  | "NoSuchBucket"
  | "InvalidPart"
  | "InvalidPartOrder"
  | "EntityTooSmall"
  | "EntityTooLarge"
  | "InvalidDigest"
  | "InvalidArgument"
  | "InvalidObjectName"
  | "MalformedXML"
  | "InternalError"
  | "ServiceUnavailable";

export type VodUploadErrorCode = SdkErrorCode | OssErrorCode;

/** What `new VodUploader`, `addFile`, `deleteFile`, `start` and `resumeUploadWithToken` throw. */
export interface VodUploadError extends Error {
  name: "VodUploadError";
  code: VodUploadErrorCode;
}

/** Per-file options; they reach `getUploadAuth` as `info.options`, for your backend's CreateUploadVideo. */
/**
 * Per-file options, checked at `addFile`. In STS mode they go into VOD's CreateUploadVideo (or
 * CreateUploadImage); in the default mode they reach `getUploadAuth` as `info.options`.
 */
export interface UploadFileOptions {
  /** At most 128 characters; default: the file name without its extension. */
  title?: string;
  description?: string;
  cateId?: number;
  /** At most 16. */
  tags?: string[] | string;
  coverUrl?: string;
  templateGroupId?: string;
  workflowId?: string;
  storageLocation?: string;
  appId?: string;
  /** An object, sent as its JSON (at most 1 KB). */
  userData?: Record<string, unknown>;
  /** For images. */
  imageType?: "default" | "cover";
  [name: string]: unknown;
}

/** What `addStream` is told of a stream, besides the VOD options `addFile` takes. */
export interface StreamInfo extends UploadFileOptions {
  /** The file name, with its extension, such as "lesson.webm". */
  name: string;
  /** Its content type, such as the recorder's `mimeType`. */
  type?: string;
  /** What names the stream across pages; drawn at random if not given. */
  id?: string;
  /** A stream that fails keeps its multipart upload open, for a later page to finish. */
  keepOnError?: boolean;
}

export interface VodUploader {
  /**
   * Queues a stream: a `ReadableStream` of `Blob`s or bytes, such as `recorderStream(recorder)`
   * makes. Its parts go up as its bytes come; it completes at its end. Its `size` is 0 until
   * then. Returns its index.
   */
  addStream(stream: ReadableStream<Blob | BufferSource>, info: StreamInfo): number;
}

/** A stream an earlier page left unfinished, as `findRecordings()` finds it. */
export interface FoundRecording {
  id: string;
  name: string;
  /** Bytes recorded. */
  size: number;
  /** When its last bytes were kept, ms since the epoch. */
  saved: number;
  info: StreamInfo;
  /** Adds it to `uploader` as it is: `start()` sends what was kept and completes it, into the
   * same video. Resolves to its index. */
  resume(uploader: VodUploader): Promise<number>;
  /** Lets what was kept go. */
  discard(): Promise<void>;
}

/** An STS token as STS AssumeRole gives it (camelCase names are accepted too). */
export interface StsToken {
  AccessKeyId: string;
  AccessKeySecret: string;
  SecurityToken: string;
  /** ISO-8601 UTC, such as "2026-11-22T08:00:00Z". */
  Expiration: string;
}

/** A file as `listFiles()` and every callback show it. Never holds a secret. */
export interface UploadInfo {
  /** Given by `addFile`; stays the file's name for good. */
  index: number;
  /** The `File`, or the stream `addStream` was given. */
  file: File | ReadableStream;
  options: UploadFileOptions;
  name: string;
  size: number;
  state: FileState;
  /** Bytes the server has acknowledged. */
  loaded: number;
  /** 0 to 100. */
  percent: number;
  /** For video and audio. */
  videoId: string | null;
  /** The OSS endpoint the file goes to, once known. */
  endpoint: string | null;
  /** It goes to VOD as an image (CreateUploadImage): `.png`, `.jpg`, `.jpeg`, `.gif`, or such an `image/` type. */
  isImage: boolean;
  /** For an image. */
  imageId: string | null;
  imageUrl: string | null;
  bucket: string | null;
  object: string | null;
  errorCode: VodUploadErrorCode | null;
  errorMessage: string | null;
  /** The file came back from an earlier page's checkpoint: `start()` goes on with that upload. */
  resumed: boolean;
}

/** What your backend's CreateUploadVideo (or RefreshUploadVideo) answered. */
export interface UploadAuthAnswer {
  UploadAuth: string;
  UploadAddress: string;
  VideoId?: string;
  ImageId?: string;
  RequestId?: string;
}

/** The options every mode shares. */
export interface CommonOptions {
  /** Bytes per part: at least 102400; default 1048576. Grown for files beyond 10,000 parts. */
  partSize?: number;
  /** Parts in flight per file; default 5. */
  parallel?: number;
  /** Retries of a transient failure; default 3. */
  retryCount?: number;
  /** The first retry's delay in ms, doubled each time, with jitter; default 2000. */
  retryDuration?: number;
  /** One request's time limit in ms; default 60000. */
  timeout?: number;
  /**
   * Wait while the connection is cellular, as while offline, and go on over Wi-Fi or ethernet.
   * Only where the browser tells the connection type (Chrome on Android); default false.
   */
  pauseOnCellular?: boolean;
  /** Check every part's and the whole object's CRC-64 against the server's; default true. */
  checkCrc64?: boolean;
  /** Keep a checkpoint of each open upload in localStorage, to resume after a reload; default true. */
  checkpoint?: boolean;
  /** How long a checkpoint is kept, in ms; default 604800000 (7 days). */
  checkpointMaxAge?: number;
  onUploadStarted?(info: UploadInfo): void;
  onUploadSucceed?(info: UploadInfo): void;
  onUploadFailed?(info: UploadInfo, code: VodUploadErrorCode, message: string): void;
  /** `loadedPercent` is a fraction from 0 to 1. */
  onUploadProgress?(info: UploadInfo, totalSize: number, loadedPercent: number): void;
  /** Call `resumeUploadWithToken` with a refreshed UploadAuth for `info.videoId` (in STS mode, a new STS token). */
  onUploadTokenExpired?(info: UploadInfo): void;
  onUploadRetry?(info: UploadInfo, code: VodUploadErrorCode, message: string): void;
  onUploadRetryResume?(info: UploadInfo): void;
  /** Every file in the list has finished. */
  onUploadEnd?(): void;
}

/** The default mode: your backend allocates each upload (CreateUploadVideo / CreateUploadImage). */
export interface UploadAuthOptions extends CommonOptions {
  /** VOD's region, for files whose `getUploadAuth` answers an STS token; default "cn-shanghai". */
  region?: string;
  /** VOD's OpenAPI endpoint for those files; default `https://vod.<region>.aliyuncs.com`. */
  vodEndpoint?: string;
  /**
   * Asks your backend for a file's upload address and credential. When `info.videoId` is set (a
   * file resuming an earlier page's upload), your backend should call RefreshUploadVideo for it.
   * An STS token instead sends this file through VOD, as in STS mode (`region`, `vodEndpoint`).
   */
  getUploadAuth(info: UploadInfo): UploadAuthAnswer | StsToken | Promise<UploadAuthAnswer | StsToken>;
  /**
   * Optional: asks your backend for `RefreshUploadVideo(info.videoId)`; the answer or just its
   * UploadAuth. With it the SDK renews credentials by itself, ahead of their expiry, and
   * `onUploadTokenExpired` fires only when this fails. An answer with another UploadAddress
   * (a new video) moves the file there, from the start; its old upload is aborted.
   */
  refreshUploadAuth?(info: UploadInfo): UploadAuthAnswer | string | StsToken | Promise<UploadAuthAnswer | string | StsToken>;
  getSTSToken?: never;
}

/** STS mode: the page holds a short-lived STS token and the SDK calls VOD itself. */
export interface StsOptions extends CommonOptions {
  getSTSToken(): StsToken | Promise<StsToken>;
  /** VOD's region; default "cn-shanghai". */
  region?: string;
  /** VOD's OpenAPI endpoint; default `https://vod.<region>.aliyuncs.com`. */
  vodEndpoint?: string;
  getUploadAuth?: never;
  refreshUploadAuth?: never;
}

export type VodUploaderOptions = UploadAuthOptions | StsOptions;

/** What `findCheckpoint` finds: an earlier page's open upload of the file. */
export interface StoredCheckpoint {
  videoId: string | null;
  endpoint: string;
  bucket: string;
  object: string;
  /** Bytes the server had acknowledged. */
  loaded: number;
  partSize: number;
  /** When it was written, ms since the epoch. */
  saved: number;
}
