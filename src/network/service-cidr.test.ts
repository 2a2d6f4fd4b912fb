import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { canBindServiceCIDR, defaultServiceCIDR, lowestBindablePort } from './service-cidr.ts';

describe('service range by what the process may bind', () => {
  it('root keeps the API server default; without root the range is loopback, with why', () => {
    assert.equal(defaultServiceCIDR(true), undefined);
    const nonRoot = defaultServiceCIDR(false);
    assert.equal(nonRoot?.cidr, '127.96.0.0/16');
    assert.match(nonRoot!.why, /^not running as root: .*--service-cidr/);
  });

  it('binds any range as root, only loopback without', () => {
    assert.equal(canBindServiceCIDR('10.96.0.0/12', true), true);
    assert.equal(canBindServiceCIDR('10.96.0.0/12', false), false);
    assert.equal(canBindServiceCIDR('127.96.0.0/16', false), true);
  });

  it("reads the kernel's lowest unprivileged port, 1024 when it cannot", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ports-'));
    try {
      const file = path.join(dir, 'ip_unprivileged_port_start');
      fs.writeFileSync(file, '80\n');
      assert.equal(lowestBindablePort(false, file), 80);
      assert.equal(lowestBindablePort(true, file), 0);
      fs.writeFileSync(file, '0\n');
      assert.equal(lowestBindablePort(false, file), 0, 'every port bindable');
      assert.equal(lowestBindablePort(false, path.join(dir, 'missing')), 1024);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
