// Two pages, one per build of the package: web.html uses `vod-upload` (init(), and the .wasm
// found through `new URL(..., import.meta.url)`, which webpack emits as an asset); bundler.html
// uses `vod-upload/bundler`, whose .wasm webpack instantiates as a module
// (`experiments.asyncWebAssembly`). Built into www/webpack/ so that vod-local, which plays the
// backend and OSS, serves them too.
const path = require('node:path');
const HtmlWebpackPlugin = require('html-webpack-plugin');

const page = (name, title) => new HtmlWebpackPlugin({ filename: `${name}.html`, chunks: [name], title });

module.exports = {
  mode: 'production',
  entry: { web: './src/web.js', bundler: './src/bundler.js' },
  output: {
    path: path.resolve(__dirname, '../../www/webpack'),
    publicPath: '/webpack/',
    filename: '[name].[contenthash].js',
    clean: true,
  },
  experiments: { asyncWebAssembly: true },
  plugins: [
    page('web', 'vod-upload in a webpack 5 page'),
    page('bundler', 'vod-upload/bundler in a webpack 5 page'),
  ],
};
