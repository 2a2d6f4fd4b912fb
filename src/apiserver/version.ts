// /version: the Kubernetes version wharf emulates. kubectl's dispatcher on these machines
// picks its own minor from this answer, so it must say 1.32.

export const KUBERNETES_MINOR = '32';
export const WHARF_BUILD = 1;

export function versionInfo() {
  return {
    major: '1',
    minor: KUBERNETES_MINOR,
    gitVersion: `v1.${KUBERNETES_MINOR}.0-wharf.${WHARF_BUILD}`,
    gitCommit: 'wharf',
    gitTreeState: 'clean',
    buildDate: '2026-11-22T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsx',
    platform: `${process.platform === 'win32' ? 'windows' : process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
