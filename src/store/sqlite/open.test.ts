import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteBackend } from './index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-open-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sqlite store files', () => {
  it('keeps data and revision across close and reopen', async () => {
    const file = path.join(dir, 'reopen.db');
    const a = await openSqliteBackend(file);
    await a.create('/k/1', Buffer.from('one'));
    const rev = await a.create('/k/2', Buffer.from('two'));
    await a.close();
    const b = await openSqliteBackend(file);
    assert.equal(await b.currentRevision(), rev);
    assert.equal((await b.get('/k/1'))!.value.toString(), 'one');
    assert.ok((await b.create('/k/3', Buffer.from('three'))) > rev);
    await b.close();
  });

  it('refuses a file another wharf process has open, naming the file', async () => {
    const file = path.join(dir, 'locked.db');
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const { openSqliteBackend } = await import(${JSON.stringify(path.resolve('src/store/sqlite/index.ts'))});
         await openSqliteBackend(${JSON.stringify(file)}); console.log('ready'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      await assert.rejects(openSqliteBackend(file), {
        message: `store ${file} is in use by another wharf process`,
      });
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('refuses a file that is not an SQLite database', async () => {
    const file = path.join(dir, 'text.db');
    fs.writeFileSync(file, 'hello, this is not a database at all '.repeat(200));
    await assert.rejects(openSqliteBackend(file), {
      message: `${file} is not a wharf database (not an SQLite file)`,
    });
    assert.match(fs.readFileSync(file, 'utf8'), /^hello/, 'the file is left untouched');
  });

  it('refuses an SQLite database of another program', async () => {
    const file = path.join(dir, 'other.db');
    const other = new Database(file);
    other.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();
    await assert.rejects(openSqliteBackend(file), {
      message: `${file} is not a wharf database (it holds other tables)`,
    });
  });

  it('refuses a path it cannot read as a file', async () => {
    const file = path.join(dir, 'a-directory.db');
    fs.mkdirSync(file);
    await assert.rejects(openSqliteBackend(file), {
      message: `cannot open store ${file}: it is not a regular file`,
    });
  });
});
