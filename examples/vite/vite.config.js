import wasm from 'vite-plugin-wasm';

// Two pages: index.html uses the package's `web` build (init(), no plugin needed);
// bundler.html uses its `bundler` build, which imports the .wasm as a module (vite-plugin-wasm).
// Built into www/vite/ so that vod-local, which plays the backend and OSS, serves them too.
export default {
  base: '/vite/',
  plugins: [wasm()],
  build: {
    outDir: '../../www/vite',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { web: 'index.html', bundler: 'bundler.html' } },
  },
};
