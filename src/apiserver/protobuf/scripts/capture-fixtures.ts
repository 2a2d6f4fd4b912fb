// Runs the fixture commands with each kubectl binary against a capture server and writes
// what they sent to ../fixtures: <minor>/<name>.pb and manifest.json (command, request line,
// and the object `-o json --dry-run=client` prints for the same command).
//   node --import tsx src/apiserver/protobuf/scripts/capture-fixtures.ts
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { PROTOBUF_CONTENT_TYPE } from '../index.ts';
import { startCaptureServer } from '../testing/capture-server.ts';
import {
  KUBECTL_BINARIES,
  KUBECTL_COMMANDS,
  runKubectl,
  withFlags,
  writeTlsPair,
} from '../testing/kubectl-commands.ts';
import type { FixtureManifest } from '../testing/fixtures.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-kubectl-'));
  await writeTlsPair(dir);
  const server = await startCaptureServer();
  const manifest: FixtureManifest = { captures: [], otherRequests: [] };
  try {
    for (const binary of KUBECTL_BINARIES) {
      const version = JSON.parse(
        execFileSync(binary.path, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }),
      );
      const kubectl: string = version.clientVersion.gitVersion;
      fs.mkdirSync(path.join(FIXTURES, binary.minor), { recursive: true });
      for (const command of KUBECTL_COMMANDS) {
        const result = await runKubectl(binary.path, server, command.args, dir);
        if (result.exitCode !== 0)
          throw new Error(`${kubectl} ${command.name} failed: ${result.stderr}`);
        let dryRun: unknown = null;
        if (command.dryRun) {
          const printed = await runKubectl(
            binary.path,
            server,
            withFlags(command.args, '-o', 'json', '--dry-run=client'),
            dir,
          );
          if (printed.exitCode !== 0)
            throw new Error(`${kubectl} ${command.name} --dry-run failed: ${printed.stderr}`);
          dryRun = JSON.parse(printed.stdout);
        }
        const protobuf = result.captures.filter((c) =>
          c.contentType.startsWith(PROTOBUF_CONTENT_TYPE),
        );
        for (const [i, capture] of protobuf.entries()) {
          const file = `${binary.minor}/${command.name}${i === 0 ? '' : `-${i + 1}`}.pb`;
          fs.writeFileSync(path.join(FIXTURES, file), capture.body);
          const { method, path: requestPath, contentType } = capture;
          manifest.captures.push({
            name: command.name,
            kubectl,
            args: command.args,
            method,
            path: requestPath,
            contentType,
            file,
            dryRun,
          });
        }
        for (const { method, path: requestPath, contentType } of result.captures.filter(
          (c) => !protobuf.includes(c),
        )) {
          manifest.otherRequests.push({
            name: command.name,
            kubectl,
            method,
            path: requestPath,
            contentType,
          });
        }
      }
    }
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const manifestPath = path.join(FIXTURES, 'manifest.json');
  const options = (await prettier.resolveConfig(manifestPath)) ?? {};
  const text = await prettier.format(JSON.stringify(manifest), {
    ...options,
    filepath: manifestPath,
  });
  fs.writeFileSync(manifestPath, text);
  console.error(`wrote ${manifest.captures.length} fixtures to ${FIXTURES}`);
}

await main();
