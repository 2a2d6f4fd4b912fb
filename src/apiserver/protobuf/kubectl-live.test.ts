// Runs the fixture commands with the kubectl binaries on this machine (skipped where there
// are none) and checks that what they send now still decodes to what they print.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROTOBUF_CONTENT_TYPE, decodeProtobufObject } from './index.ts';
import { startCaptureServer, type CaptureServer } from './testing/capture-server.ts';
import {
  KUBECTL_BINARIES,
  KUBECTL_COMMANDS,
  runKubectl,
  withFlags,
  writeTlsPair,
} from './testing/kubectl-commands.ts';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('live kubectl', { skip: KUBECTL_BINARIES.length === 0 && 'no kubectl binaries' }, () => {
  let server: CaptureServer;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-kubectl-'));
    if (hasOpenssl) await writeTlsPair(dir);
    server = await startCaptureServer();
  });
  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const binary of KUBECTL_BINARIES) {
    for (const command of KUBECTL_COMMANDS) {
      const skip = command.name === 'secret-tls' && !hasOpenssl && 'no openssl';
      test(`kubectl ${binary.minor} ${command.name}`, { skip }, async () => {
        const result = await runKubectl(binary.path, server, command.args, dir);
        assert.equal(result.exitCode, 0, result.stderr);
        const sent = result.captures.filter((c) => c.contentType.startsWith(PROTOBUF_CONTENT_TYPE));
        if (command.name === 'drain' || command.name === 'cordon') {
          assert.equal(sent.length, 0, 'drain and cordon write JSON (patch, eviction)');
          return;
        }
        assert.equal(sent.length, 1);
        const { object } = decodeProtobufObject(sent[0]!.body);
        if (!command.dryRun) return;
        const printed = await runKubectl(
          binary.path,
          server,
          withFlags(command.args, '-o', 'json', '--dry-run=client'),
          dir,
        );
        assert.equal(printed.exitCode, 0, printed.stderr);
        assert.deepStrictEqual(object, JSON.parse(printed.stdout));
      });
    }
  }
});
