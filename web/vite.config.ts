/**
 * The demo page (npm run web). hyperrl comes from this checkout's build (dist/, made by
 * `tsc -p .`), resolved like an installed package: the "browser" condition picks the
 * browser platform layer. Cross-origin isolation headers give the page SharedArrayBuffer,
 * so vector envs can run on Web Workers.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = fileURLToPath(new URL('..', import.meta.url));
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      { find: /^hyperrl\/browser$/, replacement: `${repo}dist/src/browser.js` },
      { find: /^hyperrl\/vector-env-worker$/, replacement: `${repo}dist/src/envs/vector/worker.js` },
    ],
  },
  optimizeDeps: {
    // Both find their .wasm beside their own module; pre-bundling would move the module away from it.
    exclude: ['@mujoco/mujoco', 'onnxruntime-web'],
    // Pre-bundled at start-up: a dependency found later makes Vite reload the page.
    include: ['three', 'three/examples/jsm/controls/OrbitControls.js'],
    entries: ['index.html', 'tests/vector.html'],
  },
  server: { headers: isolation, fs: { allow: [repo] } },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: {
    target: 'es2023', outDir: `${repo}dist/web`, emptyOutDir: true,
    rollupOptions: { input: { main: fileURLToPath(new URL('index.html', import.meta.url)), vector: fileURLToPath(new URL('tests/vector.html', import.meta.url)) } },
  },
});
