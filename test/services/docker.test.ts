import { missingCommand } from '../support/requirements.ts';
import { ensureTestImage } from '../support/test-image.ts';
import { runServiceScenarios } from './service-scenarios.ts';

runServiceScenarios({
  runtime: 'docker',
  proxyMode: 'kernel',
  image: ensureTestImage,
  skip: missingCommand('dockerd', 'apt-get install docker.io && dockerd &'),
});
