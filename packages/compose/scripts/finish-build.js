// Build step of @redis-cluster-kit/compose, after tsc:
// 1. Remove what dist holds for a source that is gone. tsc never deletes an output, and a module
//    moved from src/x.ts to src/x/index.ts would leave dist/x.js behind, which Node and
//    TypeScript resolve before dist/x/index.js.
// 2. Copy the Handlebars templates to dist/templates, where they are read at run time (beside the
//    compiled dist/templates.js), so the built package needs no src/. A fresh copy each time, so
//    that a template removed from src/templates is not shipped.
const { cpSync, existsSync, readdirSync, rmdirSync, rmSync, unlinkSync } = require('node:fs');
const { join } = require('node:path');

const pkg = join(__dirname, '..');
const src = join(pkg, 'src');
const dist = join(pkg, 'dist');
const templates = join(dist, 'templates');

const OUTPUT = /\.(?:js|js\.map|d\.ts|d\.ts\.map)$/;
function prune(dir, rel) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path === templates) continue;
      prune(path, join(rel, entry.name));
      if (readdirSync(path).length === 0) rmdirSync(path);
    } else if (OUTPUT.test(entry.name) && !existsSync(join(src, rel, entry.name.replace(OUTPUT, '.ts')))) {
      unlinkSync(path);
    }
  }
}
if (existsSync(dist)) prune(dist, '');

rmSync(templates, { recursive: true, force: true });
cpSync(join(src, 'templates'), templates, { recursive: true });
