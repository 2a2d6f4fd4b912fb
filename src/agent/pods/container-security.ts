import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Container, Pod } from '../k8s-types.ts';
import type { ContainerSecurity, SeccompProfile } from '../runtime/types.ts';

// A container's securityContext with the pod's, as the kubelet merges them for the
// runtime (DetermineEffectiveSecurityContext): runAsUser, runAsGroup, runAsNonRoot and
// seccompProfile from the container when set there, else from the pod; the pod's
// supplementalGroups and fsGroup as extra groups; the rest is the container's alone.
// Without a seccompProfile a container runs Unconfined, as under a kubelet whose
// seccompDefault is off (the default). A Localhost profile is a file under the node's
// seccomp directory, `<agent data dir>/seccomp` (the kubelet's is
// /var/lib/kubelet/seccomp), and its JSON goes to the runtime.

export class SeccompProfileError extends Error {}

export async function containerSecurity(
  pod: Pod,
  container: Container,
  seccompDir: string,
): Promise<ContainerSecurity> {
  const podContext = pod.spec?.securityContext ?? {};
  const own = container.securityContext ?? {};
  const groups = [...(podContext.supplementalGroups ?? [])];
  if (podContext.fsGroup !== undefined && !groups.includes(podContext.fsGroup)) {
    groups.push(podContext.fsGroup);
  }
  const runAsUser = own.runAsUser ?? podContext.runAsUser;
  const runAsGroup = own.runAsGroup ?? podContext.runAsGroup;
  const profile = own.seccompProfile ?? podContext.seccompProfile;
  return {
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    runAsNonRoot: own.runAsNonRoot ?? podContext.runAsNonRoot ?? false,
    supplementalGroups: groups,
    privileged: own.privileged ?? false,
    capAdd: own.capabilities?.add ?? [],
    capDrop: own.capabilities?.drop ?? [],
    readOnlyRootFilesystem: own.readOnlyRootFilesystem ?? false,
    noNewPrivileges: own.allowPrivilegeEscalation === false,
    seccomp: await seccompOf(profile, seccompDir),
  };
}

async function seccompOf(
  profile: { type?: string; localhostProfile?: string } | undefined,
  seccompDir: string,
): Promise<SeccompProfile> {
  switch (profile?.type) {
    case 'RuntimeDefault':
      return { type: 'RuntimeDefault' };
    case 'Localhost': {
      // Validation has made it a relative path without `..`.
      const file = path.join(seccompDir, profile.localhostProfile ?? '');
      try {
        return { type: 'Localhost', path: file, profile: await readFile(file, 'utf8') };
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err);
        throw new SeccompProfileError(`cannot load seccomp profile "${file}": ${why}`);
      }
    }
    default:
      return { type: 'Unconfined' };
  }
}
