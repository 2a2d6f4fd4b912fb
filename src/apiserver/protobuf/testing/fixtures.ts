// The captured kubectl request bodies under ../fixtures, as the tests read them.
import fs from 'node:fs';
import path from 'node:path';

export interface FixtureCapture {
  /** Name of the command in KUBECTL_COMMANDS. */
  name: string;
  /** kubectl's gitVersion, e.g. v1.32.5. */
  kubectl: string;
  args: string[];
  method: string;
  path: string;
  contentType: string;
  /** The .pb file, relative to the fixtures folder. */
  file: string;
  /** What `-o json --dry-run=client` printed for the same command, or null. */
  dryRun: unknown;
}

export interface FixtureManifest {
  captures: FixtureCapture[];
  /** Writes the commands made without protobuf (JSON patches, …), for the record. */
  otherRequests: Array<
    Pick<FixtureCapture, 'name' | 'kubectl' | 'method' | 'path' | 'contentType'>
  >;
}

export const FIXTURES_DIR = path.join(import.meta.dirname, '..', 'fixtures');

export function loadFixtures(): FixtureManifest {
  return JSON.parse(
    fs.readFileSync(path.join(FIXTURES_DIR, 'manifest.json'), 'utf8'),
  ) as FixtureManifest;
}

export function fixtureBody(capture: FixtureCapture): Buffer {
  return fs.readFileSync(path.join(FIXTURES_DIR, capture.file));
}
