import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';

// Writing objects with kubectl 1.32: create/apply/replace/patch/edit/label/annotate/delete
// of JSON, YAML, multi-document files and directories, and the generators.

describe('kubectl writes objects', () => {
  let cluster: TestCluster;
  let dir: string;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const kr = (...args: string[]) => kubectl(KUBECTL, cluster.kubectlArgs, args);
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  const json = async (...args: string[]) =>
    JSON.parse(await k(...args, '-o', 'json')) as Record<string, any>;

  before(async () => {
    cluster = await startTestCluster();
    dir = path.join(cluster.dataDir, 'manifests');
    await k('create', 'namespace', 'work');
  });
  after(async () => {
    await cluster?.close();
  });

  it('creates from JSON, YAML, multi-document files and directories', async () => {
    const jsonFile = write(
      'cm.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'from-json' },
        data: { a: '1' },
      }),
    );
    const multi = write(
      'multi.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: doc-one\ndata:\n  x: "1"\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: doc-two\nstringData:\n  p: q\n',
    );
    write('tree/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tree-a\n');
    write(
      'tree/b.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tree-b' } }),
    );
    assert.match(await k('create', '-n', 'work', '-f', jsonFile), /configmap\/from-json created/);
    const out = await k('create', '-n', 'work', '-f', multi);
    assert.match(out, /configmap\/doc-one created/);
    assert.match(out, /secret\/doc-two created/);
    const tree = await k('create', '-n', 'work', '-f', path.join(dir, 'tree'));
    assert.match(tree, /configmap\/tree-a created/);
    assert.match(tree, /configmap\/tree-b created/);
    const again = await kr('create', '-n', 'work', '-f', jsonFile);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /AlreadyExists|already exists/);
    const secret = await json('get', 'secret', 'doc-two', '-n', 'work');
    assert.equal(
      Buffer.from(secret.data.p, 'base64').toString(),
      'q',
      'stringData is folded into data',
    );
  });

  it('applies client-side: creates, configures, prunes removed fields, leaves unchanged', async () => {
    const file = write(
      'app.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: work
  labels: {app: app}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: main
        image: busybox:1.36
        env: [{name: MODE, value: one}, {name: EXTRA, value: x}]
`,
    );
    assert.match(await k('apply', '-f', file), /deployment.apps\/app created/);
    fs.writeFileSync(
      file,
      fs
        .readFileSync(file, 'utf8')
        .replace('replicas: 2', 'replicas: 3')
        .replace(', {name: EXTRA, value: x}', ''),
    );
    assert.match(await k('apply', '-f', file), /deployment.apps\/app configured/);
    const d = await json('get', 'deploy', 'app', '-n', 'work');
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'one' }]);
    assert.ok(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(d.metadata.generation, 2);
    assert.match(await k('apply', '-f', file), /deployment.apps\/app unchanged/);
  });

  it('applies server-side, reporting conflicts with other managers unless forced', async () => {
    const file = write(
      'ssa.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: work\ndata:\n  owner: first\n  keep: yes\n',
    );
    assert.match(
      await k('apply', '--server-side', '-f', file),
      /configmap\/ssa serverside-applied/,
    );
    const cm = await json('get', 'cm', 'ssa', '-n', 'work', '--show-managed-fields');
    const entry = cm.metadata.managedFields.find(
      (m: { manager: string }) => m.manager === 'kubectl',
    );
    assert.equal(entry.operation, 'Apply');
    assert.ok(entry.fieldsV1['f:data']['f:owner']);
    // Another manager changes a field kubectl applied: a conflict for the next apply.
    await k(
      'patch',
      'cm',
      'ssa',
      '-n',
      'work',
      '--type',
      'merge',
      '-p',
      '{"data":{"owner":"second"}}',
      '--field-manager',
      'someone-else',
    );
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('owner: first', 'owner: third'));
    const conflict = await kr('apply', '--server-side', '-f', file);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "someone-else"/);
    assert.match(conflict.stderr, /\.data\.owner/);
    await k('apply', '--server-side', '--force-conflicts', '-f', file);
    assert.equal((await json('get', 'cm', 'ssa', '-n', 'work')).data.owner, 'third');
    // Dropping a field from the applied configuration removes it.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('  keep: yes\n', ''));
    await k('apply', '--server-side', '-f', file);
    assert.deepEqual((await json('get', 'cm', 'ssa', '-n', 'work')).data, { owner: 'third' });
  });

  it('replaces, patches (strategic, merge, json) and reports no-op patches', async () => {
    await k('create', 'configmap', 'rp', '-n', 'work', '--from-literal=a=1');
    const cm = await json('get', 'cm', 'rp', '-n', 'work');
    cm.data = { a: '2', b: '3' };
    const file = write('rp.json', JSON.stringify(cm));
    assert.match(await k('replace', '-f', file), /configmap\/rp replaced/);
    const stale = await kr('replace', '-f', file);
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /the object has been modified/);

    await k(
      'patch',
      'deploy',
      'app',
      '-n',
      'work',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:2"}]}}}}',
    );
    let d = await json('get', 'deploy', 'app', '-n', 'work');
    assert.deepEqual(
      d.spec.template.spec.containers.map((c: { name: string }) => c.name),
      ['main', 'side'],
      'strategic merge adds a container by name',
    );
    await k(
      'patch',
      'deploy',
      'app',
      '-n',
      'work',
      '--type',
      'merge',
      '-p',
      '{"spec":{"replicas":5}}',
    );
    await k(
      'patch',
      'deploy',
      'app',
      '-n',
      'work',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"busybox:1.37"}]',
    );
    d = await json('get', 'deploy', 'app', '-n', 'work');
    assert.equal(d.spec.replicas, 5);
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:1.37');
    assert.match(
      await k(
        'patch',
        'deploy',
        'app',
        '-n',
        'work',
        '--type',
        'merge',
        '-p',
        '{"spec":{"replicas":5}}',
      ),
      /patched \(no change\)/,
    );
    // The Deployment controller writes status meanwhile, so the resourceVersion that a
    // no-op patch must keep is checked on an object no controller touches.
    await k('create', 'configmap', 'still', '-n', 'work', '--from-literal=a=1');
    const cmRv = (await json('get', 'configmap', 'still', '-n', 'work')).metadata.resourceVersion;
    assert.match(
      await k(
        'patch',
        'configmap',
        'still',
        '-n',
        'work',
        '--type',
        'merge',
        '-p',
        '{"data":{"a":"1"}}',
      ),
      /patched \(no change\)/,
    );
    assert.equal(
      (await json('get', 'configmap', 'still', '-n', 'work')).metadata.resourceVersion,
      cmRv,
    );
    const bad = await kr(
      'patch',
      'deploy',
      'app',
      '-n',
      'work',
      '--type',
      'json',
      '-p',
      '[{"op":"remove","path":"/spec/nothing/here"}]',
    );
    assert.notEqual(bad.code, 0);
  });

  it('edits through KUBE_EDITOR, labels and annotates', async () => {
    const editor = write('editor.sh', '#!/bin/sh\nsed -i "s/a: \\"2\\"/a: \\"edited\\"/" "$1"\n');
    fs.chmodSync(editor, 0o755);
    const r = await kubectl(KUBECTL, cluster.kubectlArgs, ['edit', 'cm', 'rp', '-n', 'work'], {
      env: { KUBE_EDITOR: editor },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/rp edited/);
    assert.equal((await json('get', 'cm', 'rp', '-n', 'work')).data.a, 'edited');

    await k('label', 'cm', 'rp', '-n', 'work', 'tier=web', 'team=a');
    await k('annotate', 'cm', 'rp', '-n', 'work', 'note=hello');
    let cm = await json('get', 'cm', 'rp', '-n', 'work');
    assert.equal(cm.metadata.labels.tier, 'web');
    assert.equal(cm.metadata.annotations.note, 'hello');
    await k('label', 'cm', 'rp', '-n', 'work', 'team-');
    await k('label', 'cm', 'rp', '-n', 'work', '--overwrite', 'tier=db');
    cm = await json('get', 'cm', 'rp', '-n', 'work');
    assert.deepEqual(cm.metadata.labels, { tier: 'db' });
    const clash = await kr('label', 'cm', 'rp', '-n', 'work', 'tier=x');
    assert.notEqual(clash.code, 0);
  });

  it('creates every kind through the generators', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['create', 'deployment', 'gen-web', '--image=nginx:1.27', '--replicas=2', '--port=80'],
        /deployment.apps\/gen-web created/,
      ],
      [['create', 'service', 'clusterip', 'gen-svc', '--tcp=80:8080'], /service\/gen-svc created/],
      [['create', 'service', 'nodeport', 'gen-np', '--tcp=80:8080'], /service\/gen-np created/],
      [['create', 'configmap', 'gen-cm', '--from-literal=k=v'], /configmap\/gen-cm created/],
      [
        ['create', 'secret', 'generic', 'gen-secret', '--from-literal=p=q'],
        /secret\/gen-secret created/,
      ],
      [
        [
          'create',
          'secret',
          'docker-registry',
          'gen-reg',
          '--docker-server=r.example',
          '--docker-username=u',
          '--docker-password=p',
        ],
        /secret\/gen-reg created/,
      ],
      [
        ['create', 'job', 'gen-job', '--image=busybox', '--', 'echo', 'hi'],
        /job.batch\/gen-job created/,
      ],
      [
        ['create', 'cronjob', 'gen-cron', '--image=busybox', '--schedule=*/5 * * * *'],
        /cronjob.batch\/gen-cron created/,
      ],
      [['create', 'quota', 'gen-quota', '--hard=pods=10'], /resourcequota\/gen-quota created/],
      [
        ['create', 'role', 'gen-role', '--verb=get', '--resource=pods'],
        /role.rbac.authorization.k8s.io\/gen-role created/,
      ],
      [
        ['create', 'rolebinding', 'gen-rb', '--role=gen-role', '--user=alice'],
        /rolebinding.rbac.authorization.k8s.io\/gen-rb created/,
      ],
      [
        ['create', 'clusterrole', 'gen-cr', '--verb=list', '--resource=nodes'],
        /clusterrole.rbac.authorization.k8s.io\/gen-cr created/,
      ],
      [
        ['create', 'clusterrolebinding', 'gen-crb', '--clusterrole=gen-cr', '--user=bob'],
        /clusterrolebinding.rbac.authorization.k8s.io\/gen-crb created/,
      ],
      [
        ['create', 'priorityclass', 'gen-pc', '--value=100'],
        /priorityclass.scheduling.k8s.io\/gen-pc created/,
      ],
      [
        ['create', 'poddisruptionbudget', 'gen-pdb', '--selector=app=web', '--min-available=1'],
        /poddisruptionbudget.policy\/gen-pdb created/,
      ],
      [['create', 'serviceaccount', 'gen-sa'], /serviceaccount\/gen-sa created/],
      [
        ['create', 'ingress', 'gen-ing', '--rule=web.example/=gen-svc:80'],
        /ingress.networking.k8s.io\/gen-ing created/,
      ],
      [
        ['create', 'service', 'loadbalancer', 'gen-lb', '--tcp=443:8443'],
        /service\/gen-lb created/,
      ],
      [
        ['create', 'service', 'externalname', 'gen-ext', '--external-name=db.example.test'],
        /service\/gen-ext created/,
      ],
      [
        [
          'create',
          'secret',
          'tls',
          'gen-tls',
          `--cert=${cluster.dataDir}/tls/serving.crt`,
          `--key=${cluster.dataDir}/tls/serving.key`,
        ],
        /secret\/gen-tls created/,
      ],
      [['create', 'priorityclass', 'gen-pc2', '--value=5', '--description=low'], /created/],
    ];
    for (const [args, expected] of cases) {
      assert.match(await k('-n', 'work', ...args), expected, args.join(' '));
    }
    const d = await json('get', 'deploy', 'gen-web', '-n', 'work');
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
    const job = await json('get', 'job', 'gen-job', '-n', 'work');
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
    const tlsSecret = await json('get', 'secret', 'gen-tls', '-n', 'work');
    assert.equal(tlsSecret.type, 'kubernetes.io/tls');
    assert.ok(tlsSecret.data['tls.crt'] && tlsSecret.data['tls.key']);
    const ext = await json('get', 'svc', 'gen-ext', '-n', 'work');
    assert.equal(ext.spec.type, 'ExternalName');
    assert.equal(ext.spec.externalName, 'db.example.test');
    const table = await k('get', 'svc', '-n', 'work');
    assert.match(table, /^gen-ext\s+ExternalName\s+<none>\s+db\.example\.test\s+<none>\s+/m);
    const token = await k('create', 'token', 'gen-sa', '-n', 'work');
    assert.ok(token.trim().length > 20);
  });

  it('scales, and refuses a bad replica count', async () => {
    assert.match(
      await k('scale', 'deploy', 'gen-web', '-n', 'work', '--replicas=4'),
      /deployment.apps\/gen-web scaled/,
    );
    assert.equal((await json('get', 'deploy', 'gen-web', '-n', 'work')).spec.replicas, 4);
    const rv = (await json('get', 'deploy', 'gen-web', '-n', 'work')).metadata.resourceVersion;
    assert.match(
      await k(
        'scale',
        'deploy',
        'gen-web',
        '-n',
        'work',
        '--replicas=2',
        '--current-replicas=4',
        `--resource-version=${rv}`,
      ),
      /scaled/,
    );
    const stale = await kr(
      'scale',
      'deploy',
      'gen-web',
      '-n',
      'work',
      '--replicas=3',
      '--current-replicas=9',
    );
    assert.notEqual(stale.code, 0);
  });

  it('deletes by name, file, label and --all, waiting for the object to go', async () => {
    for (const n of ['d1', 'd2', 'd3'])
      await k('create', 'configmap', n, '-n', 'work', '--from-literal=x=y');
    await k('label', 'cm', 'd2', 'd3', '-n', 'work', 'group=gone');
    assert.match(await k('delete', 'cm', 'd1', '-n', 'work', '--wait'), /configmap "d1" deleted/);
    assert.match(
      await k('delete', 'cm', '-l', 'group=gone', '-n', 'work'),
      /configmap "d2" deleted/,
    );
    assert.match(
      await k('delete', '-n', 'work', '-f', path.join(dir, 'tree')),
      /configmap "tree-a" deleted/,
    );
    const missing = await kr('delete', 'cm', 'd1', '-n', 'work');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /configmaps "d1" not found/);
    await k('delete', 'secret', '--all', '-n', 'work');
    assert.equal((await json('get', 'secret', '-n', 'work')).items.length, 0);
    assert.match(
      await k('delete', 'deploy', 'gen-web', '-n', 'work', '--cascade=orphan'),
      /deleted/,
    );
    assert.match(
      await k('delete', 'deploy', 'app', '-n', 'work', '--cascade=background'),
      /deleted/,
    );
  });

  it('refuses objects in a namespace that does not exist', async () => {
    const r = await kr('create', 'configmap', 'x', '-n', 'nowhere');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "nowhere" not found/);
  });

  it('validates fields strictly, naming the unknown field', async () => {
    const file = write(
      'bad-field.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: badfield\n  namespace: work\nspecial: 1\n',
    );
    const r = await kr('create', '-f', file);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown field "special"/);
    const invalid = write(
      'bad-name.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: work\n',
    );
    const r2 = await kr('create', '-f', invalid);
    assert.notEqual(r2.code, 0);
    assert.match(
      r2.stderr,
      /metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });
});
