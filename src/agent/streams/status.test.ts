import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExecQuery } from './exec.ts';
import { encodeExecStatus } from './status.ts';
import type { ExecResult } from './types.ts';

describe('exec status', () => {
  // What the kubelet writes (json.Marshal of metav1.Status) and kubectl decodes.
  const cases: Array<[ExecResult, string, string]> = [
    [{ exitCode: 0 }, '{"metadata":{},"status":"Success"}', ''],
    [
      { exitCode: 3 },
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
      'command terminated with non-zero exit code: exit status 3',
    ],
    [
      { error: 'container c is not running' },
      '{"metadata":{},"status":"Failure","message":"Internal error occurred: container c is not running","reason":"InternalError","details":{"causes":[{"message":"container c is not running"}]},"code":500}',
      'Internal error occurred: container c is not running',
    ],
  ];
  for (const [result, structured, legacy] of cases) {
    it(`encodes ${JSON.stringify(result)}`, () => {
      assert.equal(encodeExecStatus(result, true).toString(), structured);
      assert.equal(encodeExecStatus(result, false).toString(), legacy);
    });
  }

  it("reads kubectl's exec query", () => {
    const url =
      '/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&command=echo+hi&container=c&stdin=true&stdout=true&stderr=1';
    assert.deepEqual(parseExecQuery(url), {
      command: ['sh', '-c', 'echo hi'],
      container: 'c',
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
    assert.deepEqual(parseExecQuery('/attach?stdout=true&tty=true').command, []);
  });
});
