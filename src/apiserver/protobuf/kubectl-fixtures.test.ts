// Request bodies captured from real kubectl 1.32/1.33 (see scripts/capture-fixtures.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PROTOBUF_CONTENT_TYPE, decodeProtobufObject, encodeProtobufObject } from './index.ts';
import { KUBECTL_COMMANDS } from './testing/kubectl-commands.ts';
import { fixtureBody, loadFixtures } from './testing/fixtures.ts';
import { EXPECTED } from './testing/kubectl-expectations.ts';

const { captures } = loadFixtures();

describe('kubectl protobuf request bodies', () => {
  for (const capture of captures) {
    test(`${capture.kubectl} ${capture.name}`, () => {
      const body = fixtureBody(capture);
      const { object } = decodeProtobufObject(body);
      assert.equal(capture.contentType, PROTOBUF_CONTENT_TYPE);
      const minor = capture.kubectl.split('.').slice(0, 2).join('.');
      const [path, check] =
        EXPECTED[`${capture.name}@${minor}`] ??
        EXPECTED[capture.name] ??
        assert.fail(`no expectation for ${capture.name}`);
      assert.equal(`${capture.method} ${capture.path}`, `POST ${path}`);
      check(object);
      // The strongest check: exactly what kubectl prints for `-o json --dry-run=client`.
      if (capture.dryRun !== null) assert.deepStrictEqual(object, capture.dryRun);
      const again = encodeProtobufObject(object as { apiVersion: string; kind: string });
      assert.deepStrictEqual(decodeProtobufObject(again).object, object);
      // The tables follow the newest kubectl, which writes every field they know.
      if (capture.kubectl.startsWith('v1.33.')) assert.deepEqual(again, body);
    });
  }

  test('the fixtures cover every command that sends protobuf, from each kubectl', () => {
    const sendsJson = new Set(['drain', 'cordon']);
    for (const version of new Set(captures.map((c) => c.kubectl))) {
      const names = new Set(captures.filter((c) => c.kubectl === version).map((c) => c.name));
      for (const command of KUBECTL_COMMANDS.filter((c) => !sendsJson.has(c.name))) {
        assert.ok(names.has(command.name), `${version} ${command.name}`);
      }
    }
  });
});
