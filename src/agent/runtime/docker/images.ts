import type Docker from 'dockerode';
import { RuntimeError, type ImagePullPolicy } from '../types.ts';
import { engineMessage, statusCode } from './engine.ts';

// Image references (distribution's grammar), pull policies as kubelet applies them, and
// the `imageID` kubelet reports for docker.

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageReference {
  name: string;
  tag?: string;
  digest?: string;
}

/** Parses `image`, defaulting the tag to `latest`. Throws `InvalidImageName`. */
export function parseImage(image: string): ImageReference {
  const match = REFERENCE.exec(image);
  if (!match || match[1]!.length > 255) {
    throw new RuntimeError(
      'InvalidImageName',
      `Failed to apply default image tag "${image}": couldn't parse image reference "${image}": invalid reference format`,
    );
  }
  const [, name, tag, digest] = match;
  return { name: name!, tag: tag ?? (digest ? undefined : 'latest'), digest };
}

export function formatImage(ref: ImageReference): string {
  return `${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `docker-pullable://repo@digest` when the image came from a registry, else `docker://<id>`. */
export function imageRefOf(info: { Id: string; RepoDigests?: string[] }): string {
  const digest = info.RepoDigests?.[0];
  return digest ? `docker-pullable://${digest}` : `docker://${info.Id}`;
}

/**
 * Makes `image` present as `policy` says and returns its imageRef. Throws `ImagePull`
 * (with the engine's message), `ImageNeverPull` or `InvalidImageName`.
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  policy: ImagePullPolicy,
  signal?: AbortSignal,
): Promise<string> {
  const ref = parseImage(image);
  const reference = formatImage(ref);
  if (policy !== 'Always') {
    const present = await inspectImage(docker, reference);
    if (present) return imageRefOf(present);
    if (policy === 'Never') {
      throw new RuntimeError(
        'ImageNeverPull',
        `Container image "${image}" is not present with pull policy of Never`,
      );
    }
  }
  await pull(docker, ref, signal);
  const pulled = await inspectImage(docker, reference);
  if (!pulled) throw new RuntimeError('ImagePull', `image "${image}" is missing after its pull`);
  return imageRefOf(pulled);
}

async function inspectImage(docker: Docker, reference: string) {
  try {
    return await docker.getImage(reference).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new RuntimeError('Unavailable', `inspecting image ${reference}: ${engineMessage(err)}`, {
      cause: err,
    });
  }
}

async function pull(docker: Docker, ref: ImageReference, signal?: AbortSignal) {
  // The engine's own words, as a CRI runtime returns them: the agent's event and the
  // container's waiting message say which image (start-container.ts), as the kubelet does.
  const failed = (message: string, cause?: unknown) =>
    new RuntimeError('ImagePull', message, { cause });
  let output = '';
  try {
    // The API takes a digest in `tag` (as the docker CLI sends it).
    const stream = (await docker.createImage({
      fromImage: ref.name,
      tag: ref.digest ?? ref.tag,
      abortSignal: signal,
    })) as AsyncIterable<Buffer>;
    for await (const chunk of stream) output += chunk.toString();
  } catch (err) {
    if (signal?.aborted) throw err;
    throw failed(engineMessage(err), err);
  }
  // Errors after the engine began answering arrive as a progress line.
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    let parsed: { error?: string };
    try {
      parsed = JSON.parse(line) as { error?: string };
    } catch {
      continue;
    }
    if (parsed.error) throw failed(parsed.error);
  }
}
