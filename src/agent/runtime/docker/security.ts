import type Docker from 'dockerode';
import { podDescription, runAsNonRootViolation } from '../security.ts';
import { RuntimeError, type ContainerSecurity, type ContainerSpec } from '../types.ts';
import { engineCall } from './objects.ts';

// A container's securityContext as engine options, the way Kubernetes on Docker
// (dockershim) set them: the user as `uid[:gid]`, the extra groups, privileged,
// capabilities (named as in the pod spec; the engine takes them with or without `CAP_`),
// a read-only root file system, no-new-privileges, and seccomp: Unconfined unless the pod
// asks for RuntimeDefault (the engine's default profile) or a Localhost profile (its JSON
// inline, as the docker CLI sends a file's). The pause container runs Unconfined.

export const SANDBOX_SECURITY_OPT = ['seccomp=unconfined'];

export interface EngineSecurity {
  User?: string;
  HostConfig: Pick<
    Docker.HostConfig,
    'Privileged' | 'CapAdd' | 'CapDrop' | 'ReadonlyRootfs' | 'SecurityOpt' | 'GroupAdd'
  >;
}

/**
 * `imageUser`: the image's Config.User, needed only when a group is asked for without a
 * user (the kubelet then runs the image's user with that group).
 */
export function engineSecurity(
  security: ContainerSecurity | undefined,
  imageUser = '',
): EngineSecurity {
  if (!security) return { HostConfig: { SecurityOpt: ['seccomp=unconfined'] } };
  const securityOpt: string[] = [];
  const { seccomp } = security;
  if (seccomp.type === 'Unconfined') securityOpt.push('seccomp=unconfined');
  else if (seccomp.type === 'Localhost') securityOpt.push(`seccomp=${seccomp.profile}`);
  if (security.noNewPrivileges) securityOpt.push('no-new-privileges');
  let user = security.runAsUser !== undefined ? String(security.runAsUser) : undefined;
  if (security.runAsGroup !== undefined) {
    const base = user ?? (imageUser.split(':')[0] || '0');
    user = `${base}:${security.runAsGroup}`;
  }
  return {
    ...(user !== undefined ? { User: user } : {}),
    HostConfig: {
      ...(security.privileged ? { Privileged: true } : {}),
      ...(security.capAdd.length ? { CapAdd: security.capAdd } : {}),
      ...(security.capDrop.length ? { CapDrop: security.capDrop } : {}),
      ...(security.readOnlyRootFilesystem ? { ReadonlyRootfs: true } : {}),
      ...(security.supplementalGroups.length
        ? { GroupAdd: security.supplementalGroups.map(String) }
        : {}),
      SecurityOpt: securityOpt,
    },
  };
}

/** The image's user as the kubelet reads it: a numeric uid, or else a name. */
export function imageUserOf(configUser: string | undefined): { uid?: number; name?: string } {
  const user = (configUser ?? '').split(':')[0] ?? '';
  if (user === '') return { uid: 0 };
  return /^\d+$/.test(user) ? { uid: Number(user) } : { name: user };
}

/**
 * The image's Config.User when the spec needs it (runAsNonRoot, or a group without a
 * user), after the kubelet's runAsNonRoot check: a violation is a CreateContainerConfig
 * error. Undefined when not needed: no inspect then.
 */
export async function checkedImageUser(
  docker: Docker,
  image: string,
  spec: ContainerSpec,
): Promise<string | undefined> {
  const security = spec.security;
  if (!security) return undefined;
  const groupOnly = security.runAsGroup !== undefined && security.runAsUser === undefined;
  if (!security.runAsNonRoot && !groupOnly) return undefined;
  const info = await engineCall(`inspecting image ${image}`, () =>
    docker.getImage(image).inspect(),
  );
  const user = info.Config?.User ?? '';
  const pod = podDescription(spec.podName, spec.namespace, spec.podUid);
  const why = runAsNonRootViolation(security, imageUserOf(user), { pod, container: spec.name });
  if (why) throw new RuntimeError('CreateContainerConfig', why);
  return user;
}
