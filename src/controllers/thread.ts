import { builtinRegistry } from '../api/index.ts';
import {
  componentThreadRole,
  serveComponentThread,
  startComponentThread,
  stderrLogger,
  type ComponentConnection,
  type ComponentThread,
} from '../client/index.ts';
import { runControllers } from './index.ts';

// The controller manager on a thread of its own (see client/component-thread.ts), holding
// its lease while it runs. Its informers parse every watched object and its controllers
// react to each one; on the API server's thread that work would take turns with serving
// requests.

export interface ControllersThreadOptions extends ComponentConnection {
  /** --node-monitor-grace-period, in seconds. */
  nodeMonitorGracePeriodSeconds?: number;
}

const ROLE = 'wharf-controller-manager';

export function startControllersThread(opts: ControllersThreadOptions): ComponentThread {
  return startComponentThread(ROLE, import.meta.url, 'controllers-thread.mjs', opts);
}

/** The thread's body: run the controllers while holding their lease, until told to stop. */
export function controllersThreadMain(): Promise<void> {
  return serveComponentThread<ControllersThreadOptions>(ROLE, (client, opts, leading) => {
    const grace = opts.nodeMonitorGracePeriodSeconds;
    return runControllers(
      {
        client,
        registry: builtinRegistry(),
        caPem: opts.caPem,
        log: stderrLogger,
        ...(grace !== undefined ? { nodeLifecycle: { nodeMonitorGracePeriodSeconds: grace } } : {}),
      },
      leading,
    );
  });
}

// Under tsx the bootstrap imports this file as the thread's entry.
if (componentThreadRole(import.meta.url) === ROLE) void controllersThreadMain();
