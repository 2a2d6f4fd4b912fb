// The source of the spawner helper (spawner.ts says why it exists), run as
// `node -e HELPER_SOURCE` with an IPC channel to the agent. It is plain CommonJS in a
// string rather than a module of its own so that it runs the same from the TypeScript
// sources (tsx) and from the bundle in dist/, with no file to locate and nothing to load.
//
// Requests, each with a numeric `id`, answered with a message carrying the same `id`:
//
//   { op: 'launch', file, args, env, cwd, stdout, stderr, prepare }
//       makes prepare's dirs and writes its files, if any, then spawns a detached
//       process (a session of its own) with its stdout and stderr appended to the two
//       files and fd 3 a pipe; answers { pid, startTime } or { error } (with stage
//       'prepare' when preparing failed), then later sends { event: 'setup', said } once
//       fd 3 closes (what the process wrote on it) and { event: 'exit', code, signal }
//       once it ends.
//   { op: 'run', steps: [{ file, args, env, input, tolerate }], timeoutMs }
//       runs the steps one after the other, each to its end, with `input` on its stdin;
//       stops after the first that fails unless it is `tolerate`d; answers
//       { results: [{ code, signal, stdout, stderr, error }] }, one per step run.
//
// The helper ends when the agent does (the channel disconnects). What it launched keeps
// running, as it would have after the agent's own end: it is in sessions of its own.

export const HELPER_SOURCE = String.raw`'use strict';
const { spawn } = require('node:child_process');
const { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } = require('node:fs');

const send = (message) => {
  if (process.connected) process.send(message, undefined, undefined, () => undefined);
};
process.on('disconnect', () => process.exit(0));

// /proc/<pid>/stat field 22: with the pid, it identifies the process for good.
function startTime(pid) {
  try {
    const text = readFileSync('/proc/' + pid + '/stat', 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function prepare(p) {
  for (const dir of p.dirs) mkdirSync(dir, { recursive: true });
  for (const file of p.files) writeFileSync(file.path, file.text);
}

function launch(m) {
  if (m.prepare) {
    try {
      prepare(m.prepare);
    } catch (e) {
      send({ id: m.id, error: e.message, stage: 'prepare' });
      return;
    }
  }
  const out = openSync(m.stdout, 'a');
  const err = openSync(m.stderr, 'a');
  let child;
  try {
    child = spawn(m.file, m.args, {
      detached: true,
      stdio: ['ignore', out, err, 'pipe'],
      env: m.env,
      cwd: m.cwd,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  // Read before this loop can reap the child: a zombie still has its stat.
  const started = child.pid ? startTime(child.pid) : undefined;
  if (!child.pid || !started) {
    child.once('error', (e) => send({ id: m.id, error: e.message }));
    return;
  }
  send({ id: m.id, pid: child.pid, startTime: started });
  const chunks = [];
  const pipe = child.stdio[3];
  pipe.on('data', (c) => chunks.push(c));
  pipe.on('error', () => undefined);
  // The exit is reported after the setup, which the agent may still be waiting for.
  const setupSent = new Promise((resolve) =>
    pipe.on('close', () => {
      send({ id: m.id, event: 'setup', said: Buffer.concat(chunks).toString() });
      resolve();
    }),
  );
  child.once('exit', (code, signal) =>
    setupSent.then(() => send({ id: m.id, event: 'exit', code, signal })),
  );
}

function runStep(step, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(step.file, step.args, { env: step.env, timeout: timeoutMs });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.stdin.on('error', () => undefined); // it may end without reading
    child.stdin.end(step.input || '');
    let error;
    child.once('error', (e) => (error = e.message));
    child.once('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ...(error ? { error } : {}),
      }),
    );
  });
}

async function run(m) {
  const results = [];
  for (const step of m.steps) {
    const result = await runStep(step, m.timeoutMs);
    results.push(result);
    if ((result.code !== 0 || result.error) && !step.tolerate) break;
  }
  send({ id: m.id, results });
}

process.on('message', (m) => {
  try {
    if (m.op === 'launch') launch(m);
    else if (m.op === 'run') void run(m);
    else send({ id: m.id, error: 'unknown request ' + m.op });
  } catch (e) {
    send({ id: m.id, error: e && e.message ? e.message : String(e) });
  }
});
`;
