// The `bundler` build: webpack instantiates the wasm on import; no init().
import { VodUploader } from 'vod-upload/bundler';
import { run } from '../../module/page.js';

run(VodUploader);
