// Preload (node --require) that writes, at exit, the npm packages whose CommonJS modules the process loaded (ES
// modules importing CommonJS go through the same cache) to the file named by AEP_LOADED_PACKAGES_FILE, one per line.
const { writeFileSync } = require('node:fs');
const Module = require('node:module');

process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(Module._cache)) {
    const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    if (m) packages.add(m[1].replace(/\\/g, '/'));
  }
  writeFileSync(process.env.AEP_LOADED_PACKAGES_FILE, [...packages].sort().join('\n'));
});
