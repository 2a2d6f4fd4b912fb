import type Docker from 'dockerode';
import { loadImage } from './image-archive.ts';
import { engineMessage, statusCode } from './engine.ts';

// The sandbox's "pause" process, made here because there is no registry to pull one from:
// a static ELF of a few dozen instructions that installs a SIGTERM/SIGINT handler calling
// exit_group(0) (PID 1 ignores signals it does not handle), then sleeps in pause(2) —
// ppoll(2) on arm64, which has no pause — forever. The image holds only `/pause`.

/** Bump when the binary changes; the image ID follows from the bytes anyway. */
export const PAUSE_VERSION = '1';
export const PAUSE_IMAGE = `wharf/pause:${PAUSE_VERSION}`;

const LOAD_ADDRESS = 0x400000;
const HEADERS = 64 + 56; // ELF header + one program header; code follows
const SA_RESTORER = 0x04000000;

interface Program {
  machine: number;
  code: number[];
  /** Offset of the handler within `code`; `code` ends 8-byte aligned where `act` begins. */
  handler: number;
  flags: number;
}

// x86_64 (assembled with llvm-mc, offsets in brackets):
//   [0]  mov edi,15; lea rsi,[rip+act]; xor edx,edx; mov r10d,8; mov eax,13; syscall
//   [27] mov edi,2; mov eax,13; syscall                    ; rt_sigaction(SIGINT, act)
//   [39] loop: mov eax,34; syscall; jmp loop               ; pause()
//   [48] handler: xor edi,edi; mov eax,231; syscall        ; exit_group(0)
//   [57] padding to act at 64. x86_64 needs SA_RESTORER; the handler never returns.
const X86_64: Program = {
  machine: 62,
  // prettier-ignore
  code: [
    0xbf, 0x0f, 0, 0, 0, 0x48, 0x8d, 0x35, 52, 0, 0, 0, 0x31, 0xd2, 0x41, 0xba, 8, 0, 0, 0,
    0xb8, 0x0d, 0, 0, 0, 0x0f, 0x05,
    0xbf, 0x02, 0, 0, 0, 0xb8, 0x0d, 0, 0, 0, 0x0f, 0x05,
    0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7,
    0x31, 0xff, 0xb8, 0xe7, 0, 0, 0, 0x0f, 0x05,
    0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
  ],
  handler: 48,
  flags: SA_RESTORER,
};

// arm64, one 32-bit word per instruction:
//   [0]  movz x0,#15; adr x1,act; movz x2,#0; movz x3,#8; movz x8,#134; svc #0
//   [24] movz x0,#2; movz x8,#134; svc #0                 ; rt_sigaction(SIGINT, act)
//   [36] loop: x0..x4 = 0; movz x8,#73; svc #0; b loop     ; ppoll(NULL, 0, NULL, NULL)
//   [68] handler: movz x0,#0; movz x8,#94; svc #0          ; exit_group(0)
//   [80] act
const ARM64: Program = {
  machine: 183,
  code: words([
    0xd28001e0, 0x10000261, 0xd2800002, 0xd2800103, 0xd28010c8, 0xd4000001, 0xd2800040, 0xd28010c8,
    0xd4000001, 0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800004, 0xd2800928, 0xd4000001,
    0x17fffff9, 0xd2800000, 0xd2800bc8, 0xd4000001,
  ]),
  handler: 68,
  flags: 0,
};

function words(values: number[]): number[] {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32LE(v, i * 4));
  return [...buf];
}

/** The pause binary for `arch` (`process.arch`). */
export function pauseBinary(arch: string = process.arch): Buffer {
  const program = arch === 'x64' ? X86_64 : arch === 'arm64' ? ARM64 : undefined;
  if (!program) throw new Error(`no pause binary for architecture ${arch}`);
  const handler = BigInt(LOAD_ADDRESS + HEADERS + program.handler);
  // struct sigaction as the kernel reads it: handler, flags, restorer, mask.
  const act = Buffer.alloc(32);
  act.writeBigUInt64LE(handler, 0);
  act.writeBigUInt64LE(BigInt(program.flags), 8);
  act.writeBigUInt64LE(program.flags & SA_RESTORER ? handler : 0n, 16);
  const body = Buffer.concat([Buffer.from(program.code), act]);
  const size = BigInt(HEADERS + body.length);

  const elf = Buffer.alloc(HEADERS);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF64, little-endian, SysV
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(program.machine, 18);
  elf.writeUInt32LE(1, 20); // EV_CURRENT
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS + HEADERS), 24); // entry
  elf.writeBigUInt64LE(64n, 32); // program headers at
  elf.writeUInt16LE(64, 52); // header size
  elf.writeUInt16LE(56, 54); // program header size
  elf.writeUInt16LE(1, 56); // one program header
  // PT_LOAD of the whole file, read + execute.
  elf.writeUInt32LE(1, 64);
  elf.writeUInt32LE(5, 68);
  elf.writeBigUInt64LE(0n, 72); // offset
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), 80);
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), 88);
  elf.writeBigUInt64LE(size, 96);
  elf.writeBigUInt64LE(size, 104);
  elf.writeBigUInt64LE(0x10000n, 112); // align (fits 4K and 64K pages)
  return Buffer.concat([elf, body]);
}

/** Makes sure `wharf/pause:<version>` exists; loads it when missing. Idempotent. */
export async function ensurePauseImage(docker: Docker): Promise<string> {
  try {
    await docker.getImage(PAUSE_IMAGE).inspect();
    return PAUSE_IMAGE;
  } catch (err) {
    if (statusCode(err) !== 404) {
      throw new Error(`inspecting ${PAUSE_IMAGE}: ${engineMessage(err)}`, { cause: err });
    }
  }
  await loadImage(docker, {
    reference: PAUSE_IMAGE,
    entries: [{ type: 'file', path: 'pause', data: pauseBinary(), mode: 0o755 }],
    config: { Entrypoint: ['/pause'] },
  });
  return PAUSE_IMAGE;
}
