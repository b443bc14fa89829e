/**
 * aliyun-upload-sdk 1.5.x's API over vod-upload, for pages written against it:
 * `new AliyunUpload.Vod(options)`. Load the wasm yourself only if you wish; the class waits for it.
 */

/** A file's state, spelt as 1.5.x spells it. */
export type AliyunUploadState = "Ready" | "Uploading" | "Success" | "Failure" | "Canceled" | "Stoped";

/** A file as every callback and `listFiles()` show it; the very object a page hands back. */
export interface AliyunUploadInfo {
  file: File;
  state: AliyunUploadState;
  /** The SDK uploads it as an image (CreateUploadImage); settled once the SDK is ready. */
  isImage: boolean;
  endpoint: string;
  bucket: string;
  object: string;
  region: string;
  videoId: string;
  /** paramData's `Vod` object, as the page gave it. */
  videoInfo: Record<string, unknown>;
  /** The paramData given to `addFile`. */
  userData: string;
  /** 0 to 1: the share of the file the server acknowledged. */
  loaded: number;
  /** What the SDK's checkpoint holds of this file's upload, or null. */
  readonly checkpoint: AliyunCheckpoint | null;
  /** An id of this file's upload on this page. */
  ri: string;
  /** A request of this file is being retried. */
  retry: boolean;
  /** The MD5 (hex) of the file's first MiB; filled in shortly after `addFile`. */
  fileHash?: string;
  imageId?: string;
  imageUrl?: string;
}

/** What `getCheckpoint` answers: where an earlier upload of the file went and how far. */
export interface AliyunCheckpoint {
  fileName: string;
  lastModified: number;
  size: number;
  object: string;
  videoId: string;
  bucket: string;
  endpoint: string;
  /** 0 to 1. */
  loaded: number;
  state: AliyunUploadState;
}

/**
 * The options object is the page's own: kept by reference as `uploader.options`, with 1.5.x's
 * defaults written into it. Numbers may be numeric strings; `''` counts as left out. Callbacks are
 * looked up when they fire and run with `this` set to this object.
 */
export interface AliyunVodOptions {
  /** Bytes per part; default 1048576. */
  partSize?: number | string;
  /** Parts in flight; default 5. */
  parallel?: number | string;
  /** Retries of a transient failure; default 3. */
  retryCount?: number | string;
  /** The first retry's delay in seconds; default 2. */
  retryDuration?: number | string;
  /** One request's time limit in ms; default 60000. */
  timeout?: number | string;
  /** VOD's region, for files in STS mode; default (also for `''`) "cn-shanghai". The Region of an UploadAuth the page gives is written here. */
  region?: string;
  /** VOD's OpenAPI endpoint, for files in STS mode; default that of `region`. */
  vodEndpoint?: string;
  /** vod-upload's own options, by their names. */
  checkCrc64?: boolean;
  pauseOnCellular?: boolean;
  checkpoint?: boolean;
  checkpointMaxAge?: number;
  /** Accepted and ignored: they drove 1.5.x's cloud checkpoints and reporting. */
  userId?: string | number;
  cname?: boolean;
  localCheckpoint?: boolean;
  enableUploadProgress?: boolean;
  addFileSuccess?(uploadInfo: AliyunUploadInfo): void;
  /** Give the file's credentials: `setUploadAuthAndAddress` or `setSTSToken`. */
  onUploadstarted?(uploadInfo: AliyunUploadInfo): void;
  onUploadProgress?(uploadInfo: AliyunUploadInfo, totalSize: number, loadedPercent: number): void;
  onUploadSucceed?(uploadInfo: AliyunUploadInfo): void;
  onUploadFailed?(uploadInfo: AliyunUploadInfo, code: string, message: string): void;
  onUploadCanceled?(uploadInfo: AliyunUploadInfo, code: string, message: string): void;
  /** Give new credentials: `resumeUploadWithAuth`, `setUploadAuthAndAddress`, … */
  onUploadTokenExpired?(uploadInfo: AliyunUploadInfo): void;
  onUploadRetry?(uploadInfo: AliyunUploadInfo, code: string, message: string): void;
  onUploadRetryResume?(uploadInfo: AliyunUploadInfo): void;
  onUploadEnd?(uploadInfo: AliyunUploadInfo | undefined): void;
}

/** Calls that hand over credentials answer `false`, and do nothing, when there is nothing to hand them to; none throws. */
export declare class Vod {
  constructor(options?: AliyunVodOptions);
  /** The very object given to the constructor. */
  options: AliyunVodOptions;
  /** 1.5.x's list: the uploadInfo objects, in order. A page may read it, or empty it (`length = 0`): files taken out of it leave the uploader. */
  _uploadList: AliyunUploadInfo[];
  /** False for no File, or a File already listed. `paramData`: `'{"Vod": {"Title": …}}'`. */
  addFile(file: File, endpoint?: string | null, bucket?: string | null, object?: string | null, paramData?: string | null): boolean;
  startUpload(): void;
  stopUpload(): void;
  setUploadAuthAndAddress(uploadInfo: AliyunUploadInfo, uploadAuth: string, uploadAddress: string, videoId?: string): boolean;
  setSTSToken(uploadInfo: AliyunUploadInfo, accessKeyId: string, accessKeySecret: string, securityToken: string, expiration?: string, ...ignored: unknown[]): boolean;
  resumeUploadWithAuth(uploadAuth: string): boolean;
  resumeUploadWithToken(accessKeyId: string, accessKeySecret: string, securityToken: string, expiration?: string | number): boolean;
  resumeUploadWithSTSToken(accessKeyId: string, accessKeySecret: string, securityToken: string, expiration?: string | number, ...ignored: unknown[]): boolean;
  deleteFile(index: number | string): boolean;
  cancelFile(index?: number | string): boolean;
  resumeFile(index: number | string): boolean;
  cleanList(): void;
  listFiles(): AliyunUploadInfo[];
  getCheckpoint(file: File): AliyunCheckpoint | "";
  getVersion(): string;
}

declare const AliyunUpload: { Vod: typeof Vod };
export default AliyunUpload;
