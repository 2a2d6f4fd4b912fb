// `$(VAR)` expansion, as third_party/forked/golang/expansion in Kubernetes:
//
//   $(NAME)   replaced by mapping(NAME)
//   $$        a literal `$` (so `$$(NAME)` stays `$(NAME)`)
//   $(       an unterminated reference is kept as written
//   $x        any other `$` is kept, with the character after it
//
// The mapping decides what an unknown name becomes; `mappingFor` keeps `$(NAME)`.

export type Mapping = (name: string) => string;

/** Looks a name up in each context in turn; unknown names stay `$(name)`. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const vars of contexts) {
      const value = vars.get(name);
      if (value !== undefined) return value;
    }
    return `$(${name})`;
  };
}

export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close >= 0) {
        out += mapping(input.slice(cursor + 2, close));
        cursor = close;
      } else {
        out += '$(';
        cursor += 1;
      }
    } else {
      out += '$' + next;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
