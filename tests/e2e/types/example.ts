// Type-checked with `tsc --strict` against the package's declarations: what a page writes
// compiles, and what is wrong does not (each @ts-expect-error must meet an error).
import init, {
  VodUploader,
  recorderStream,
  type FileState,
  type UploadAuthAnswer,
  type UploadInfo,
  type VodUploadError,
  type VodUploadErrorCode,
} from 'vod-upload';

async function backend(info: UploadInfo): Promise<UploadAuthAnswer> {
  const response = await fetch('/api/upload-auth', {
    method: 'POST',
    body: JSON.stringify({ title: info.options.title ?? info.name, fileName: info.name }),
  });
  return (await response.json()) as UploadAuthAnswer;
}

export async function main(file: File): Promise<FileState[]> {
  await init();
  const uploader: VodUploader = new VodUploader({
    getUploadAuth: backend,
    partSize: 1024 * 1024,
    parallel: 5,
    retryCount: 3,
    pauseOnCellular: true,
    checkpoint: true,
    checkpointMaxAge: 24 * 3600 * 1000,
    refreshUploadAuth: async (info) => (await backend(info)).UploadAuth,
    onUploadRetry: (info, code) => {
      if (code === 'NetworkOffline' || code === 'CellularNetwork') console.log(info.state === 'Waiting');
    },
    onUploadProgress: (info: UploadInfo, totalSize: number, loadedPercent: number) => {
      console.log(info.name, totalSize, loadedPercent.toFixed(2));
    },
    onUploadFailed: (info, code, message) => {
      const known: VodUploadErrorCode = code;
      console.error(info.errorCode, known, message.length);
    },
    onUploadTokenExpired: async (info) => {
      const videoId: string | null = info.videoId;
      const fresh: UploadAuthAnswer = await backend(info);
      uploader.resumeUploadWithToken(videoId ? fresh.UploadAuth : fresh);
    },
    onUploadEnd: () => console.log('done'),
  });
  const index: number = uploader.addFile(file, { title: 'My film', cateId: 3 });
  try {
    uploader.deleteFile(index + 1);
  } catch (e) {
    const error = e as VodUploadError;
    const code: VodUploadErrorCode = error.code;
    console.log(code === 'NoSuchFile');
  }
  uploader.start();
  const infos: UploadInfo[] = uploader.listFiles();
  const resumed: boolean[] = infos.map((i) => i.resumed);
  console.log(resumed);
  return infos.map((i) => i.state);
}

export function record(uploader: VodUploader, recorder: MediaRecorder): number {
  const index: number = uploader.addStream(recorderStream(recorder), {
    name: 'lesson.webm',
    type: recorder.mimeType,
    title: 'A lesson',
    keepOnError: true,
  });
  const code: VodUploadErrorCode = 'StreamFailed';
  console.log(code);
  // @ts-expect-error a stream needs its name
  uploader.addStream(recorderStream(recorder), { title: 'no name' });
  return index;
}

export function sts(file: File): UploadInfo[] {
  const uploader = new VodUploader({
    getSTSToken: async () => ({ AccessKeyId: 'STS.a', AccessKeySecret: 's', SecurityToken: 't', Expiration: '2026-11-22T08:00:00Z' }),
    region: 'cn-shanghai',
    onUploadSucceed: (info) => console.log(info.imageId ?? info.videoId, info.imageUrl),
  });
  uploader.addFile(file, { title: 'A picture', tags: ['a', 'b'], userData: { k: 1 }, imageType: 'cover' });
  // @ts-expect-error the two modes do not mix
  new VodUploader({ getSTSToken: () => ({ AccessKeyId: 'a', AccessKeySecret: 's', SecurityToken: 't', Expiration: 'e' }), getUploadAuth: () => ({ UploadAuth: 'a', UploadAddress: 'b' }) });
  // @ts-expect-error imageType is default or cover
  uploader.addFile(file, { imageType: 'banner' });
  return uploader.listFiles();
}

export function wrong(file: File): void {
  // @ts-expect-error getUploadAuth is required
  new VodUploader({ partSize: 1024 * 1024 });
  new VodUploader({
    getUploadAuth: (info) => ({ UploadAuth: 'a', UploadAddress: 'b', VideoId: info.name }),
    // @ts-expect-error the code is a string union, not a number
    onUploadFailed: (_info: UploadInfo, _code: number) => {},
  });
  const uploader = new VodUploader({ getUploadAuth: () => ({ UploadAuth: 'a', UploadAddress: 'b' }) });
  // @ts-expect-error addFile takes a File
  uploader.addFile('not a file');
  // @ts-expect-error a state is one of seven names
  const state: FileState = 'Paused';
  // @ts-expect-error pauseOnCellular is true or false
  new VodUploader({ getUploadAuth: () => ({ UploadAuth: 'a', UploadAddress: 'b' }), pauseOnCellular: 'yes' });
  // @ts-expect-error partSize is a number
  new VodUploader({ getUploadAuth: () => ({ UploadAuth: 'a', UploadAddress: 'b' }), partSize: '1MB' });
  console.log(state, file);
}
