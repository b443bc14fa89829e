// Built into www/vite/ so that vod-local, which plays the backend and OSS, serves the page too.
export default {
  base: '/vite/',
  build: { outDir: '../../www/vite', emptyOutDir: true },
};
