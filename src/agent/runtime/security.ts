import type { ContainerSecurity } from './types.ts';

// What the kubelet checks of a container's securityContext before its runtime creates
// it, for every driver: runAsNonRoot against the user it would run as.

/** `name_namespace(uid)`, as the kubelet names a pod in its messages (format.Pod). */
export function podDescription(name: string, namespace: string, uid: string): string {
  return `${name}_${namespace}(${uid})`;
}

/**
 * The kubelet's verifyRunAsNonRoot: why the container may not run (its
 * CreateContainerConfigError), or undefined. `image` is the user the container runs as
 * when the spec sets none: the image's (`uid` numeric, else `name`; neither is root).
 */
export function runAsNonRootViolation(
  security: ContainerSecurity,
  image: { uid?: number; name?: string },
  where: { pod: string; container: string },
): string | undefined {
  if (!security.runAsNonRoot) return undefined;
  const at = `(pod: "${where.pod}", container: ${where.container})`;
  if (security.runAsUser !== undefined) {
    return security.runAsUser === 0
      ? `container's runAsUser breaks non-root policy ${at}`
      : undefined;
  }
  if (image.uid === undefined && image.name) {
    return `container has runAsNonRoot and image has non-numeric user (${image.name}), cannot verify user is non-root ${at}`;
  }
  if ((image.uid ?? 0) === 0) return `container has runAsNonRoot and image will run as root ${at}`;
  return undefined;
}
