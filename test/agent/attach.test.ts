import { missingCommand } from '../support/requirements.ts';
import { ensureTestImage, missingDockerEngine, missingTestImage } from '../support/test-image.ts';
import { runAttachScenarios } from './attach-scenarios.ts';

// kubectl's -t runs under util-linux `script` here, as `tty: true` does on the process runtime.
const noScript = missingCommand('script', 'apt-get install bsdutils');

runAttachScenarios({
  runtime: 'docker',
  image: ensureTestImage,
  skip: (await missingDockerEngine()) || (await missingTestImage()) || noScript,
});

// Host processes: the image is only recorded; `sh`, `cat` and `stty` come from the host.
runAttachScenarios({
  runtime: 'process',
  image: async () => 'busybox:recorded-only',
  skip: noScript,
});
