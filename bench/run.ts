// `npm run bench -- NAME [flags]`: runs bench/NAME.ts, which prints one JSON object of
// figures on its last line.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [flags]   (NAME: ${available.join(', ')})`);
  process.exit(2);
}
const bench = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as {
  main: (args: string[]) => Promise<Record<string, unknown>>;
};
const figures = await bench.main(process.argv.slice(3));
console.log(JSON.stringify(figures));
process.exit(0);
