#!/usr/bin/env node
/**
 * Container health check for the Node images (node:20-bookworm-slim has no
 * curl or wget): `node healthcheck.cjs URL` exits 0 when GET URL answers 2xx
 * within TIMEOUT_MS, 1 otherwise, and prints one line saying which.
 * Used by the images' HEALTHCHECK and by docker-compose.yml.
 */
'use strict';

const TIMEOUT_MS = 2000;
const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: healthcheck.cjs URL\n');
  process.exit(2);
}

fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
  (res) => {
    process.stdout.write(`${url}: HTTP ${res.status}\n`);
    process.exit(res.ok ? 0 : 1);
  },
  (err) => {
    process.stdout.write(`${url}: ${err && err.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS} ms` : err.message}\n`);
    process.exit(1);
  },
);
