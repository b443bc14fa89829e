// The `web` build, imported by the page itself: init() fetches vod_upload_bg.wasm from beside
// the package's script, then the SDK is ready.
import init, { VodUploader } from 'vod-upload';
import { run } from './page.js';

await init();
run(VodUploader);
