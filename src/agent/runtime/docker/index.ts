export { createDockerDriver, DOCKER_RUNTIME, type DockerDriverOptions } from './driver.ts';
export { dockerAvailable } from './engine.ts';
export { DEFAULT_NETWORK, type PodNetwork } from './network.ts';
export { PAUSE_IMAGE } from './pause.ts';
