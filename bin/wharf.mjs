#!/usr/bin/env node
// The `wharf` command: runs the bundle in dist/, rebuilding it first when a source is newer.
import { pathToFileURL } from 'node:url';
import { ensureBundle } from '../scripts/build.mjs';

await import(pathToFileURL(await ensureBundle()).href);
