import { missingCommand } from '../support/requirements.ts';
import { ensureTestImage } from '../support/test-image.ts';
import { runPodScenarios } from './pod-scenarios.ts';

runPodScenarios({
  runtime: 'docker',
  image: ensureTestImage,
  skip: missingCommand('dockerd', 'apt-get install docker.io && dockerd &'),
});
