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
  | "GetUploadAuthFailed"
  | "NoSuchFile"
  | "AlreadyStarted"
  | "NotExpired"
  | "NetworkError"
  | "Timeout"
  | "CorsEtagNotExposed"
  | "InvalidResponse"
  /** In `onUploadRetry`: the browser went offline; the upload waits for the network. */
  | "NetworkOffline"
  /** In `onUploadRetry`: the connection turned cellular and `pauseOnCellular` is set. */
  | "CellularNetwork";

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
export interface UploadFileOptions {
  title?: string;
  description?: string;
  cateId?: number;
  tags?: string;
  templateGroupId?: string;
  workflowId?: string;
  storageLocation?: string;
  /** A JSON object, as a string. */
  userData?: string;
  [name: string]: unknown;
}

/** A file as `listFiles()` and every callback show it. Never holds a secret. */
export interface UploadInfo {
  /** Given by `addFile`; stays the file's name for good. */
  index: number;
  file: File;
  options: UploadFileOptions;
  name: string;
  size: number;
  state: FileState;
  /** Bytes the server has acknowledged. */
  loaded: number;
  /** 0 to 100. */
  percent: number;
  videoId: string | null;
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

export interface VodUploaderOptions {
  /**
   * Asks your backend for a file's upload address and credential. When `info.videoId` is set (a
   * file resuming an earlier page's upload), your backend should call RefreshUploadVideo for it.
   */
  getUploadAuth(info: UploadInfo): UploadAuthAnswer | Promise<UploadAuthAnswer>;
  /**
   * Optional: asks your backend for `RefreshUploadVideo(info.videoId)`; the answer or just its
   * UploadAuth. With it the SDK renews credentials by itself, ahead of their expiry, and
   * `onUploadTokenExpired` fires only when this fails.
   */
  refreshUploadAuth?(info: UploadInfo): UploadAuthAnswer | string | Promise<UploadAuthAnswer | string>;
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
  /** Keep a checkpoint of each open upload in localStorage, to resume after a reload; default true. */
  checkpoint?: boolean;
  /** How long a checkpoint is kept, in ms; default 604800000 (7 days). */
  checkpointMaxAge?: number;
  onUploadStarted?(info: UploadInfo): void;
  onUploadSucceed?(info: UploadInfo): void;
  onUploadFailed?(info: UploadInfo, code: VodUploadErrorCode, message: string): void;
  /** `loadedPercent` is a fraction from 0 to 1. */
  onUploadProgress?(info: UploadInfo, totalSize: number, loadedPercent: number): void;
  /** Call `resumeUploadWithToken` with a refreshed UploadAuth for `info.videoId`. */
  onUploadTokenExpired?(info: UploadInfo): void;
  onUploadRetry?(info: UploadInfo, code: VodUploadErrorCode, message: string): void;
  onUploadRetryResume?(info: UploadInfo): void;
  /** Every file in the list has finished. */
  onUploadEnd?(): void;
}
