// The web app: built into dist/web, which `hangar serve` serves beside the API.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/web',
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    sourcemap: true,
    // The diff view's chunk (a syntax highlighter with its grammars) loads on demand.
    chunkSizeWarningLimit: 1200,
  },
  // `npm run dev:web` against a `hangar serve` on its default port.
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' },
  },
});
