import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { missingTmpfs } from '../../../test/support/requirements.ts';
import { openMemoryVolumes } from './memory-volumes.ts';

describe('openMemoryVolumes', { skip: missingTmpfs('/dev/shm') }, () => {
  it('gives each data dir its own directory and sweeps those of data dirs that are gone', () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-memvol-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-memvol-'));
    try {
      const dirA = openMemoryVolumes(a)!;
      const dirB = openMemoryVolumes(b)!;
      assert.notEqual(dirA, dirB);
      assert.equal(openMemoryVolumes(a), dirA, 'the same data dir finds its directory again');
      // A data dir not made yet is made: another agent's sweep must not take it for gone.
      const c = path.join(a, 'agent');
      const dirC = openMemoryVolumes(c)!;
      openMemoryVolumes(b);
      assert.equal(fs.existsSync(dirC), true);
      fs.rmSync(dirC, { recursive: true });
      fs.mkdirSync(path.join(dirA, 'some-pod'));
      fs.rmSync(a, { recursive: true });
      openMemoryVolumes(b);
      assert.equal(fs.existsSync(dirA), false, 'the directory of a deleted data dir is gone');
      assert.equal(fs.existsSync(dirB), true);
      fs.rmSync(dirB, { recursive: true });
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });
});
