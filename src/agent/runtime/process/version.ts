import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: Promise<string> | undefined;

/** wharf's version from its package.json (found upwards from here: sources or bundle). */
export function packageVersion(): Promise<string> {
  cached ??= (async () => {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 8; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
        if (pkg.name === 'wharf' && typeof pkg.version === 'string') return pkg.version as string;
      } catch {
        // not here
      }
    }
    return process.version;
  })();
  return cached;
}
