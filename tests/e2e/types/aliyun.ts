// A typed use of the 1.5.x layer, checked with `tsc --strict` against `vod-upload/aliyun`'s
// declarations (each @ts-expect-error must meet an error).
import AliyunUpload, { type AliyunUploadInfo, type AliyunCheckpoint } from 'vod-upload/aliyun';

interface Answer {
  UploadAuth: string;
  UploadAddress: string;
  VideoId: string;
}

export function page(files: File[]): AliyunUploadInfo[] {
  const uploader: InstanceType<typeof AliyunUpload.Vod> = new AliyunUpload.Vod({
    partSize: '',
    parallel: '3',
    retryDuration: 2,
    userId: 1303984639806000,
    onUploadstarted(uploadInfo) {
      void fetch('/api/upload-auth', { method: 'POST' })
        .then((r) => r.json() as Promise<Answer>)
        .then((a) => uploader.setUploadAuthAndAddress(uploadInfo, a.UploadAuth, a.UploadAddress, a.VideoId));
    },
    onUploadProgress(uploadInfo, totalSize, loadedPercent) {
      const shown: string = `${uploadInfo.file.name}: ${Math.round(loadedPercent * 100)} % of ${totalSize}`;
      void shown;
    },
    onUploadFailed(uploadInfo, code, message) {
      const state: 'Failure' | string = uploadInfo.state;
      void [state, code, message];
    },
    onUploadTokenExpired(uploadInfo) {
      uploader.resumeUploadWithSTSToken('id', 'secret', 'token');
      void uploadInfo.videoId;
    },
    onUploadEnd() {
      uploader.cleanList();
    },
  });
  for (const file of files) {
    const added: boolean = uploader.addFile(file, null, null, null, JSON.stringify({ Vod: { Title: file.name } }));
    void added;
  }
  // As pages do after construction: options and the list are the very objects.
  uploader.options.userId = '1303984639806000';
  uploader.options.onUploadSucceed = (uploadInfo) => void uploadInfo.fileHash;
  const first: string | undefined = uploader._uploadList[0]?.videoId;
  void first;
  const granted: boolean = uploader.resumeUploadWithAuth('x');
  void granted;
  uploader.startUpload();
  uploader.cancelFile();
  uploader.cancelFile('0');
  uploader.resumeFile(0);
  const checkpoint: AliyunCheckpoint | '' = uploader.getCheckpoint(files[0]);
  void checkpoint;
  // @ts-expect-error: a state 1.5.x never had
  const wrong: AliyunUploadInfo['state'] = 'Waiting';
  void wrong;
  // @ts-expect-error: deleteFile takes an index
  uploader.deleteFile(files[0]);
  return uploader.listFiles();
}
