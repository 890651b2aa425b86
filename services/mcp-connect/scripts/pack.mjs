#!/usr/bin/env node
/**
 * Packs mcp-connect for a teacher's computer: moodle-mcp-connect-<version>.tgz,
 * installable on its own, offline, with `npm install -g ./moodle-mcp-connect-<version>.tgz`
 * (Windows, macOS, Linux; Node.js 20 or later). Run after the build:
 *
 *   npx tsc -b services/mcp-connect && node services/mcp-connect/scripts/pack.mjs [--out DIR]
 *   (or: npm run pack:teacher -w services/mcp-connect)
 *
 * The tarball has no dependencies. The few modules mcp-connect takes from the
 * unpublished workspace package @moodle-mcp/common (CARRIED: pure code, no
 * dependencies of their own) are copied in as dist/common/, and the compiled
 * code's `require("@moodle-mcp/common")` points there. The script refuses to
 * pack when the code needs anything else: a require() of a module that is
 * neither Node's own nor in the package, or a name from @moodle-mcp/common
 * that the carried modules do not export.
 *
 * Prints the tarball's path on stdout; DIR defaults to services/mcp-connect/dist.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG_DIR = path.resolve(HERE, '..');
const COMMON_DIST = path.resolve(PKG_DIR, '../../packages/common/dist');
const NAME = 'moodle-mcp-connect';
/** Modules of @moodle-mcp/common that mcp-connect uses; each must need nothing but Node. */
const CARRIED = ['lineDecoder.js', 'rpcCodes.js'];
const COMMON = '@moodle-mcp/common';

function fail(message) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = path.resolve(outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : path.join(PKG_DIR, 'dist'));
const source = JSON.parse(readFileSync(path.join(PKG_DIR, 'package.json'), 'utf8'));
const dist = path.join(PKG_DIR, 'dist');
if (!existsSync(path.join(dist, 'main.js'))) fail(`${dist}/main.js is missing: build first (npx tsc -b services/mcp-connect)`);
for (const f of CARRIED) if (!existsSync(path.join(COMMON_DIST, f))) fail(`${COMMON_DIST}/${f} is missing: build first (npx tsc -b services/mcp-connect)`);

const stage = mkdtempSync(path.join(os.tmpdir(), 'mcp-connect-pack-'));
try {
  const stageDist = path.join(stage, 'dist');
  mkdirSync(path.join(stageDist, 'common'), { recursive: true });
  const ownFiles = readdirSync(dist).filter((f) => f.endsWith('.js'));
  for (const f of ownFiles) {
    const code = readFileSync(path.join(dist, f), 'utf8').replaceAll(`require("${COMMON}")`, 'require("./common/index.js")');
    writeFileSync(path.join(stageDist, f), code, { mode: f === 'main.js' ? 0o755 : 0o644 });
  }
  for (const f of CARRIED) copyFileSync(path.join(COMMON_DIST, f), path.join(stageDist, 'common', f));
  writeFileSync(
    path.join(stageDist, 'common', 'index.js'),
    `"use strict";\n// The parts of ${COMMON} that mcp-connect uses (copied by scripts/pack.mjs).\nmodule.exports = { ${CARRIED.map((f) => `...require("./${f}")`).join(', ')} };\n`,
  );
  checkSelfContained(stageDist);

  const readme = path.join(PKG_DIR, 'README.md');
  if (existsSync(readme)) copyFileSync(readme, path.join(stage, 'README.md'));
  const manifest = {
    name: NAME,
    version: source.version,
    description: source.description,
    license: source.license ?? 'UNLICENSED',
    bin: { 'mcp-connect': 'dist/main.js' },
    main: 'dist/main.js',
    files: ['dist', 'README.md'],
    engines: { node: '>=20' },
  };
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

  mkdirSync(outDir, { recursive: true });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8', shell: process.platform === 'win32' }),
  );
  process.stdout.write(path.join(outDir, packed[0].filename) + '\n');
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** Every require() in the staged code is Node's own or a file in the package, and every name taken from common exists. */
function checkSelfContained(stageDist) {
  const builtins = new Set(builtinModules);
  const files = [...readdirSync(stageDist).filter((f) => f.endsWith('.js')), ...readdirSync(path.join(stageDist, 'common')).map((f) => `common/${f}`)];
  const carried = createRequire(path.join(stageDist, 'common', 'index.js'))('./index.js');
  for (const f of files) {
    const file = path.join(stageDist, f);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/require\("([^"]+)"\)/g)) {
      const spec = m[1];
      if (spec.startsWith('node:') || builtins.has(spec)) continue;
      if (spec.startsWith('.') && existsSync(path.resolve(path.dirname(file), spec))) continue;
      fail(`dist/${f} requires "${spec}", which the package would not carry: add it to CARRIED (when it is pure code of ${COMMON}) or inline it`);
    }
    // tsc compiles `import { X } from '@moodle-mcp/common'` to `const common_1 = require(...)` and `common_1.X`.
    const alias = /const (\w+) = require\("\.\/common\/index\.js"\)/.exec(code)?.[1];
    if (!alias) continue;
    for (const [, name] of code.matchAll(new RegExp(`\\b${alias}\\.(\\w+)`, 'g'))) {
      if (!(name in carried)) fail(`dist/${f} uses ${COMMON}'s ${name}, which is in none of the carried modules (${CARRIED.join(', ')})`);
    }
  }
}
