#!/usr/bin/env node
// npm run build (second half): the published CLI as a few ESM files in bundle/, dependencies included.
// bundle/cli.js holds the argument parser and the command table; every `await import()` in src/ and providers/
// (each provider, the sandbox, verify's checks, the AWS SDK) becomes a chunk loaded only when a command needs it.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outdir = join(root, 'bundle');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(join(root, 'dist'), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  // Licences are collected per package into bundle/THIRD_PARTY_LICENSES.txt (below), not left as comments.
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  // Prefer each package's ES module build. A lazily imported CommonJS module would become a chunk with only a
  // default export (the AWS SDK clients' "main" is CommonJS), and jsonc-parser's "main" is a UMD wrapper whose
  // require('./impl/...') calls a bundler cannot follow.
  mainFields: ['module', 'main'],
  define: { __AGENTCORE_AUTH_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies (the Okta SDK, auth0's helpers, msal-node) call require() for Node built-ins.
  banner: { js: "import { createRequire as __acaCreateRequire } from 'node:module'; const require = __acaCreateRequire(import.meta.url);" },
});

// Every bundled package's licence, as its package ships it: redistributing the code means shipping these.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m || packages.has(m[1])) continue;
  const dir = join(root, m[1]);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f));
  packages.set(m[1], { name: manifest.name, version: manifest.version, license: manifest.license ?? manifest.licenses?.map((l) => l.type).join(' OR ') ?? 'UNKNOWN', text: file ? readFileSync(join(dir, file), 'utf8').trim() : undefined });
}
const unlicensed = [...packages.values()].filter((p) => !p.text);
const sections = [...packages.values()]
  .sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name)))
  .map((p) => `${p.name}@${p.version} (${p.license})\n\n${p.text ?? `Licensed under ${p.license}; the package ships no licence file.`}`);
writeFileSync(
  join(outdir, 'THIRD_PARTY_LICENSES.txt'),
  `agentcore-auth ${pkg.version} bundles the following ${packages.size} packages.\n\n${sections.join(`\n\n${'-'.repeat(72)}\n\n`)}\n`,
);
if (unlicensed.length) console.log(`note: no licence file in ${unlicensed.map((p) => `${p.name} (${p.license})`).join(', ')}`);

let total = 0;
let files = 0;
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else ((total += statSync(p).size), files++);
  }
};
walk(outdir);
const cliBytes = statSync(join(outdir, 'cli.js')).size;
console.log(`bundle/: ${files} files, ${packages.size} packages bundled, ${(total / 1e6).toFixed(2)} MB (cli.js ${(cliBytes / 1e3).toFixed(0)} kB)`);
// Which sources each output file holds, for the tests that check what a command loads (not shipped).
const meta = {};
for (const [out, o] of Object.entries(result.metafile.outputs)) meta[out.replace(/^bundle\//, '')] = Object.keys(o.inputs);
writeFileSync(join(root, 'dist', 'bundle-sources.json'), JSON.stringify(meta));
