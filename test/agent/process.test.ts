import { missingCommand } from '../support/requirements.ts';
import { runPodScenarios } from './pod-scenarios.ts';

// Host processes: the image is only recorded; `sh` and `busybox` come from the host.
runPodScenarios({
  runtime: 'process',
  image: async () => 'busybox:recorded-only',
  skip: missingCommand('busybox', 'apt-get install busybox-static'),
});
