import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { engineMessage } from './engine.ts';

// Images built in memory and handed to the engine's `POST /images/load` in the
// `docker save` layout (manifest.json + config + one layer tar). Unlike `docker import`,
// whose image config carries the import time, the config here is fixed, so the image ID
// is a pure function of the files: loading the same image twice, or from two processes
// at once, tags the same ID and leaves no dangling copies behind.

export type ArchiveEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;
/** A fixed mtime and creation date keep archives (and image IDs) reproducible. */
const EPOCH_SECONDS = 1_704_067_200; // 2024-01-01T00:00:00Z

/** A ustar archive of `entries`, in order. Paths are relative (`bin/sh`, `tmp`). */
export function tarArchive(entries: ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? entry.data : Buffer.alloc(0);
    parts.push(tarHeader(entry, data.length));
    if (data.length > 0) {
      parts.push(data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function tarHeader(entry: ArchiveEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const name = entry.type === 'dir' ? `${entry.path.replace(/\/$/, '')}/` : entry.path;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long: ${name}`);
  const defaultMode = entry.type === 'dir' ? 0o755 : entry.type === 'file' ? 0o644 : 0o777;
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? defaultMode);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0') + '\0';
  header.write(name, 0, 100);
  header.write(octal(mode, 8), 100);
  header.write(octal(0, 8), 108); // uid
  header.write(octal(0, 8), 116); // gid
  header.write(octal(size, 12), 124);
  header.write(octal(EPOCH_SECONDS, 12), 136);
  header.write(' '.repeat(8), 148); // checksum placeholder
  header.write(entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0', 156);
  if (entry.type === 'symlink') header.write(entry.target, 157, 100);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.write('root', 265);
  header.write('root', 297);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return header;
}

export interface ImageDefinition {
  /** `repo:tag` */
  reference: string;
  entries: ArchiveEntry[];
  config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The `docker save` archive of a one-layer image. Its image ID is `sha256:<id>`. */
export function imageArchive(image: ImageDefinition): { archive: Buffer; id: string } {
  const layer = tarArchive(image.entries);
  const layerId = sha256(layer);
  const created = new Date(EPOCH_SECONDS * 1000).toISOString();
  const config = JSON.stringify({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    created,
    config: image.config,
    rootfs: { type: 'layers', diff_ids: [`sha256:${layerId}`] },
    history: [{ created, created_by: 'wharf' }],
  });
  const id = sha256(config);
  const manifest = JSON.stringify([
    { Config: `${id}.json`, RepoTags: [image.reference], Layers: [`${layerId}/layer.tar`] },
  ]);
  const archive = tarArchive([
    { type: 'dir', path: layerId },
    { type: 'file', path: `${layerId}/layer.tar`, data: layer },
    { type: 'file', path: `${id}.json`, data: Buffer.from(config) },
    { type: 'file', path: 'manifest.json', data: Buffer.from(manifest) },
  ]);
  return { archive, id };
}

/** Loads `image` into the engine and returns its ID (`sha256:…`). Idempotent. */
export async function loadImage(docker: Docker, image: ImageDefinition): Promise<string> {
  const { archive, id } = imageArchive(image);
  let output = '';
  try {
    const response = await docker.loadImage(Readable.from([archive]), { quiet: true });
    for await (const chunk of response as AsyncIterable<Buffer>) output += chunk.toString();
  } catch (err) {
    throw new Error(`loading image ${image.reference}: ${engineMessage(err)}`, { cause: err });
  }
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    const message = (JSON.parse(line) as { error?: string }).error;
    if (message) throw new Error(`loading image ${image.reference}: ${message}`);
  }
  return `sha256:${id}`;
}
