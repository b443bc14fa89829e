// The `web` build: call init() once, then use the SDK.
import init, { VodUploader } from 'vod-upload';
import { run } from '../../module/page.js';

await init();
run(VodUploader);
