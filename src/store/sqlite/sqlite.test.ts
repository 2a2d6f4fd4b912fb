import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBackendConformance } from '../conformance.ts';
import { openSqliteBackend } from './index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-sqlite-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

runBackendConformance({
  name: 'sqlite',
  newBackend: () => openSqliteBackend(path.join(dir, 'state.db')),
});
