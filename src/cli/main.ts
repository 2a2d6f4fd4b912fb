import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Expected failures carry a sentence meant for the user; print that, not a stack.
  console.error(`wharf: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.WHARF_DEBUG) console.error(err);
  process.exit(1);
}
