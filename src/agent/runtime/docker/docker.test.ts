import { runRuntimeConformance } from '../conformance.ts';
import {
  ensureTestImage,
  missingDockerEngine,
  missingTestImage,
} from '../../../../test/support/test-image.ts';
import { createDockerDriver } from './index.ts';

const skip = (await missingDockerEngine()) || (await missingTestImage());

runRuntimeConformance({
  name: 'docker',
  newDriver: (instance) => createDockerDriver({ instance }),
  image: skip ? 'unused' : await ensureTestImage(),
  skip,
});
