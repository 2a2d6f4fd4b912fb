import { after, before } from 'node:test';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.ts';
import { missingCommand } from '../../../test/support/requirements.ts';
import { runBackendConformance } from '../conformance.ts';
import { openEtcdBackend } from './index.ts';

const skip = missingCommand('etcd', 'apt-get install -y etcd-server etcd-client');
let server: EtcdServer | undefined;

before(async () => {
  if (!skip) server = await startEtcd();
});
after(async () => {
  await server?.stop();
});

runBackendConformance({ name: 'etcd', newBackend: () => openEtcdBackend(server!.hosts), skip });
