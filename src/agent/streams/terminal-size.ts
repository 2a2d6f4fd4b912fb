import type { TerminalSize } from './types.ts';

// Terminal resizes arrive as JSON `{"Width":80,"Height":24}` (remotecommand.TerminalSize):
// one object per message on WebSocket channel 4, or a run of objects written by Go's
// json.Encoder on the SPDY `resize` stream, where message boundaries do not exist.

/** Returns the size in `json`, or undefined when it is not a valid TerminalSize. */
export function parseTerminalSize(json: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { Width: width, Height: height } = value as Record<string, unknown>;
  const valid = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
  if (!valid(width) || !valid(height) || width > 0xffff || height > 0xffff) return undefined;
  return { width, height };
}

/** Cuts a byte stream of concatenated JSON objects into sizes; invalid objects are skipped. */
export class TerminalSizeDecoder {
  #text = '';
  #depth = 0;
  #inString = false;
  #escaped = false;
  #scanned = 0;

  push(chunk: Buffer): TerminalSize[] {
    this.#text += chunk.toString('utf8');
    const sizes: TerminalSize[] = [];
    let start = 0;
    for (let i = this.#scanned; i < this.#text.length; i++) {
      const c = this.#text[i];
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === '\\') this.#escaped = true;
        else if (c === '"') this.#inString = false;
      } else if (c === '"') {
        this.#inString = true;
      } else if (c === '{') {
        if (this.#depth === 0) start = i;
        this.#depth++;
      } else if (c === '}' && this.#depth > 0 && --this.#depth === 0) {
        const size = parseTerminalSize(this.#text.slice(start, i + 1));
        if (size) sizes.push(size);
        start = i + 1;
      } else if (this.#depth === 0) {
        start = i + 1; // whitespace or junk between objects
      }
    }
    this.#text = this.#text.slice(start);
    this.#scanned = this.#text.length;
    // A size is a few dozen bytes; anything this long is not one.
    if (this.#text.length > 4096) this.#reset();
    return sizes;
  }

  #reset(): void {
    this.#text = '';
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    this.#scanned = 0;
  }
}

/** Resize listeners that get the latest size at once when they join late. */
export class ResizeEvents {
  #latest: TerminalSize | undefined;
  readonly #listeners = new Set<(size: TerminalSize) => void>();

  emit(size: TerminalSize): void {
    this.#latest = size;
    for (const listener of this.#listeners) listener(size);
  }

  listen(listener: (size: TerminalSize) => void): () => void {
    this.#listeners.add(listener);
    if (this.#latest) listener(this.#latest);
    return () => this.#listeners.delete(listener);
  }
}
