import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRuntimeError } from '../types.ts';
import { formatImage, imageRefOf, parseImage } from './images.ts';
import { FrameDemuxer, LogLineAssembler } from './streams.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('docker output streams', () => {
  it('demultiplexes frames split anywhere across chunks', () => {
    const wire = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more\n')]);
    for (let cut = 1; cut < wire.length; cut++) {
      const demuxer = new FrameDemuxer();
      const frames = [...demuxer.push(wire.subarray(0, cut)), ...demuxer.push(wire.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.stream, f.data.toString()]),
        [
          ['stdout', 'out\n'],
          ['stderr', 'err\n'],
          ['stdout', 'more\n'],
        ],
        `cut at ${cut}`,
      );
    }
  });

  it('strips timestamps and joins entries split before their newline', () => {
    const assembler = new LogLineAssembler();
    const lines = [
      ...assembler.entry('stdout', Buffer.from('2024-05-01T10:00:00.123456789Z part one, ')),
      ...assembler.entry('stderr', Buffer.from('2024-05-01T10:00:00.200000000Z oops\n')),
      ...assembler.entry('stdout', Buffer.from('2024-05-01T10:00:00.300000000Z part two\n')),
      ...assembler.entry('stdout', Buffer.from('2024-05-01T10:00:01Z no newline')),
      ...assembler.flush(),
    ];
    assert.deepEqual(
      lines.map((l) => [l.stream, l.time.toISOString(), l.data.toString()]),
      [
        ['stderr', '2024-05-01T10:00:00.200Z', 'oops\n'],
        ['stdout', '2024-05-01T10:00:00.123Z', 'part one, part two\n'],
        ['stdout', '2024-05-01T10:00:01.000Z', 'no newline'],
      ],
    );
  });

  it('reads raw TTY logs line by line across chunks', () => {
    const assembler = new LogLineAssembler();
    const lines = [
      ...assembler.raw(Buffer.from('2024-05-01T10:00:00Z hel')),
      ...assembler.raw(Buffer.from('lo\r\n2024-05-01T10:00:02Z bye\r\n')),
      ...assembler.flush(),
    ];
    assert.deepEqual(
      lines.map((l) => [l.stream, l.time.toISOString(), l.data.toString()]),
      [
        ['stdout', '2024-05-01T10:00:00.000Z', 'hello\r\n'],
        ['stdout', '2024-05-01T10:00:02.000Z', 'bye\r\n'],
      ],
    );
  });
});

describe('docker image references', () => {
  it('defaults the tag and keeps digests', () => {
    const cases: Array<[string, string]> = [
      ['busybox', 'busybox:latest'],
      ['wharf-test/busybox:1.36', 'wharf-test/busybox:1.36'],
      ['localhost:5000/team/app', 'localhost:5000/team/app:latest'],
      [`app@sha256:${'a'.repeat(64)}`, `app@sha256:${'a'.repeat(64)}`],
      [`app:v1@sha256:${'b'.repeat(64)}`, `app:v1@sha256:${'b'.repeat(64)}`],
    ];
    for (const [image, want] of cases) assert.equal(formatImage(parseImage(image)), want);
  });

  it('refuses references the engine could not parse', () => {
    for (const image of ['', 'Upper/Case', 'app:', 'app:v1:v2', 'a//b', '-app', 'app@sha256:12']) {
      assert.throws(
        () => parseImage(image),
        (err) => isRuntimeError(err, 'InvalidImageName'),
        image,
      );
    }
  });

  it('reports imageID as kubelet does for docker', () => {
    assert.equal(
      imageRefOf({ Id: 'sha256:1', RepoDigests: ['busybox@sha256:2'] }),
      'docker-pullable://busybox@sha256:2',
    );
    assert.equal(imageRefOf({ Id: 'sha256:1', RepoDigests: [] }), 'docker://sha256:1');
  });
});
