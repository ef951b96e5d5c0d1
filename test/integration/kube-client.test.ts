// The shared API client against the real API server: apply, patch, dry runs, conflicts, waits,
// pagination and the error messages people see.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedCluster } from '../support/fixture.js';
import type { Cluster } from '../harness/cluster.js';
import { Kube } from '../../shared/kube/client.js';
import { type KubeObject } from '../../shared/kube/object.js';
import { retryOnConflict } from '../../shared/kube/conflict.js';
import { loadKubeconfig } from '../../shared/kube/kubeconfig.js';
import { applyPlan, type Change } from '../../shared/kube/plan.js';
import { waitForCondition, waitForRollout } from '../../shared/kube/wait.js';
import { systemClock } from '../../shared/context.js';
import { KubeApiError, TimeoutError } from '../../shared/errors.js';

const NS = 'client-test';
const make = (kubeconfig: string) => new Kube(loadKubeconfig({ kubeconfig, namespace: NS }, {}), 'kubectl-test');

describe('shared API client on the real API server', function () {
  this.timeout(120_000);
  let c: Cluster;
  let kube: Kube;

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS]);
    kube = make(c.kubeconfig);
  });

  it('server-side apply creates, a second identical apply changes nothing, fields are owned by the plugin', async () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: NS }, data: { a: '1' } };
    const first = await kube.apply(cm);
    const second = await kube.apply(cm);
    assert.equal(first.metadata?.resourceVersion, second.metadata?.resourceVersion, 'no write on the second apply');
    const managers = (second.metadata?.managedFields ?? []).map((m) => m.manager);
    assert.deepEqual(managers, ['kubectl-test']);
  });

  it('--dry-run=server validates without persisting', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: NS }, data: { a: '1' } };
    await kube.apply(cm, { dryRun: 'server' });
    assert.equal(await kube.find({ apiVersion: 'v1', kind: 'ConfigMap', name: 'dry', namespace: NS }), undefined);
  });

  it('maps 404 and 422 to one actionable line', async () => {
    await assert.rejects(
      kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'ghost', namespace: NS }),
      (e: Error) => e instanceof KubeApiError && e.message === `deployments.apps "ghost" not found in namespace "${NS}" (context "${c.name}")`,
    );
    const bad = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad', namespace: NS },
      spec: {
        replicas: -1,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    };
    await assert.rejects(
      kube.apply(bad),
      (e: Error) =>
        e instanceof KubeApiError &&
        e.status === 422 &&
        /the server rejected deployments\.apps "bad" in namespace "client-test" .*: spec\.replicas: Invalid value: -1: must be greater than or equal to 0/.test(
          e.message,
        ),
    );
    await assert.rejects(kube.list('networking.example.com/v1', 'Nothing', { namespace: NS }), /does not serve|not found/);
  });

  it('403 names the user, verb and resource', async () => {
    const denied = make(await c.userKubeconfig('eve'));
    await assert.rejects(
      denied.list('v1', 'Secret', { namespace: NS }),
      (e: Error) =>
        e instanceof KubeApiError &&
        e.status === 403 &&
        /^forbidden: .*User "eve" cannot list resource "secrets" in API group "" in the namespace "client-test" \(context .*\); ask for RBAC permission to list secrets/.test(
          e.message,
        ),
    );
  });

  it('re-reads and retries on a real 409 conflict', async () => {
    await kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race', namespace: NS }, data: { n: '0' } });
    let attempts = 0;
    await retryOnConflict(async () => {
      attempts++;
      const cur = await kube.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', name: 'race', namespace: NS });
      // Someone else writes between our read and our write, the first time only.
      if (attempts === 1) await c.kubectl(['-n', NS, 'patch', 'configmap', 'race', '-p', '{"data":{"other":"x"}}']);
      await kube.replace({ ...cur, data: { ...cur.data, n: String(Number(cur.data['n']) + 1) } });
    });
    assert.equal(attempts, 2);
    const data = JSON.parse((await c.kubectl(['-n', NS, 'get', 'configmap', 'race', '-o', 'jsonpath={.data}'])).stdout) as Record<string, string>;
    assert.deepEqual(data, { n: '1', other: 'x' });
  });

  it('waits for a rollout, and times out with the state it reached', async () => {
    await c.kubectl(['-n', NS, 'create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
    const seen: string[] = [];
    const r = await waitForRollout(kube, NS, 'web', { timeoutMs: 60_000, intervalMs: 200, clock: systemClock, onProgress: (m) => seen.push(m) });
    assert.equal(r.message, '2 of 2 replicas available');
    // Pods that can never be scheduled: the wait must give up at its deadline.
    await c.kubectl(['-n', NS, 'create', 'deployment', 'stuck', '--image=nginx']);
    await c.kubectl(['-n', NS, 'patch', 'deployment', 'stuck', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"nowhere":"true"}}}}}']);
    await assert.rejects(
      waitForRollout(kube, NS, 'stuck', { timeoutMs: 1500, intervalMs: 200, clock: systemClock }),
      (e: Error) => e instanceof TimeoutError && /timed out after 2s waiting for deployment\.apps\/stuck to roll out: /.test(e.message),
    );
  });

  it('waits for a condition, and names it when it times out', async () => {
    // A condition the API server itself sets (no controller lag): the Istio CRD is Established.
    const ref = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'virtualservices.networking.istio.io' };
    const r = await waitForCondition(kube, ref, 'Established', 'True', { timeoutMs: 30_000, intervalMs: 200, clock: systemClock });
    assert.deepEqual(r, { done: true, message: 'Established is True' });
    await assert.rejects(
      waitForCondition(kube, ref, 'Frozen', 'True', { timeoutMs: 600, intervalMs: 200, clock: systemClock }),
      (e: Error) =>
        e instanceof TimeoutError &&
        e.message.startsWith(
          'timed out after 600ms waiting for customresourcedefinition/virtualservices.networking.istio.io to be Frozen=True: Frozen is not reported yet',
        ),
    );
  });

  it('lists page by page: 1,100 objects in 3 requests', async () => {
    const items = Array.from({ length: 1100 }, (_, i) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `bulk-${i}`, namespace: NS, labels: { bulk: 'yes' } } }),
    );
    await c.kubectl(['apply', '--server-side', '-f', '-'], { input: items.join('\n') });
    const k = make(c.kubeconfig);
    const before = k.requests;
    const got = await k.list('v1', 'ConfigMap', { namespace: NS, labelSelector: 'bulk=yes' });
    assert.equal(got.length, 1100);
    assert.equal(k.requests - before, 3);
    assert.equal(got[0].kind, 'ConfigMap');
  });

  it('a plan that fails half-way says what changed and how to undo it', async () => {
    const changes: Change[] = [
      {
        action: 'apply',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'step-1', namespace: NS }, data: { a: '1' } },
        undo: `kubectl -n ${NS} delete configmap step-1`,
      },
      { action: 'patch', ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'missing', namespace: NS }, patch: { spec: { replicas: 1 } }, verb: 'scaled' },
    ];
    await assert.rejects(
      applyPlan(kube, changes, 'none'),
      (e: Error) =>
        e.message ===
        `deployments.apps "missing" not found in namespace "${NS}" (context "${c.name}"); already changed: configmap/step-1; to undo: kubectl -n ${NS} delete configmap step-1`,
    );
    const ok = await applyPlan(kube, [changes[0]], 'none');
    assert.deepEqual(
      ok.map((r) => r.line),
      ['configmap/step-1 configured'],
    );
    const dry = await applyPlan(
      kube,
      [changes[0], { action: 'delete', ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'step-1', namespace: NS } }],
      'server',
    );
    assert.deepEqual(
      dry.map((r) => r.line),
      ['configmap/step-1 configured (server dry run)', 'configmap/step-1 deleted (server dry run)'],
    );
    assert.ok(await kube.find({ apiVersion: 'v1', kind: 'ConfigMap', name: 'step-1', namespace: NS }), 'server dry run deleted nothing');
  });
});

describe('executePlan output', function () {
  this.timeout(60_000);
  it('--dry-run=client prints the planned objects as YAML and sends nothing; a real run prints one line each', async () => {
    const c = await sharedCluster();
    const { runInProcess } = await import('../support/buffers.js');
    const { definePlugin } = await import('../../shared/cli/plugin.js');
    const { defineCommand } = await import('../../shared/cli/command.js');
    const { dryRunFlag, readDryRun } = await import('../../shared/cli/flags.js');
    const { executePlan } = await import('../../shared/kube/plan.js');
    const plugin = definePlugin({
      name: 'plan-demo',
      summary: 'test',
      examples: [],
      commands: [
        defineCommand<{ dryRun: ReturnType<typeof readDryRun> }>({
          command: 'make',
          describe: 'make a config map',
          builder: dryRunFlag,
          options: (args) => ({ dryRun: readDryRun(args) }),
          run: async (ctx, o) => {
            await executePlan(
              ctx,
              [
                {
                  action: 'apply',
                  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'planned', namespace: ctx.config().namespace }, data: { k: 'v' } },
                },
              ],
              o.dryRun,
            );
          },
        }),
      ],
    });
    const env = { KUBECONFIG: c.kubeconfig };
    const dry = await runInProcess(plugin, ['make', '-n', NS, '--dry-run=client'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: planned\n  namespace: ${NS}\ndata:\n  k: v\n`);
    assert.equal((await c.kubectl(['-n', NS, 'get', 'configmap', 'planned'], { reject: false })).exitCode, 1, 'not created');
    const server = await runInProcess(plugin, ['make', '-n', NS, '--dry-run=server'], env);
    assert.equal(server.stdout, 'configmap/planned configured (server dry run)\n');
    const real = await runInProcess(plugin, ['make', '-n', NS], env);
    assert.equal(real.stdout, 'configmap/planned configured\n');
    assert.equal((await c.kubectl(['-n', NS, 'get', 'configmap', 'planned', '-o', 'jsonpath={.data.k}'])).stdout, 'v');
    const bad = await runInProcess(plugin, ['make', '-n', NS, '--dry-run=maybe'], env);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'error: invalid --dry-run value "maybe": use none, client or server\n');
  });
});

describe('credentials against the real API server', function () {
  this.timeout(60_000);
  it('an exec credential plugin supplies a token the API server accepts', async () => {
    const c = await sharedCluster();
    await c.kubectl(['-n', NS, 'create', 'serviceaccount', 'plugin-user']);
    await c.kubectl(['-n', NS, 'create', 'rolebinding', 'plugin-user-view', '--clusterrole=view', `--serviceaccount=${NS}:plugin-user`]);
    const token = (await c.kubectl(['-n', NS, 'create', 'token', 'plugin-user'])).stdout.trim();
    const dir = mkdtempSync(join(tmpdir(), 'exec-'));
    const plugin = join(dir, 'get-token');
    // The plugin checks it got KUBERNETES_EXEC_INFO, as real plugins do.
    writeFileSync(
      plugin,
      `#!/bin/sh\n[ -n "$KUBERNETES_EXEC_INFO" ] || exit 3\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$MY_TOKEN"\n`,
    );
    chmodSync(plugin, 0o755);
    const ca = Buffer.from((await import('node:fs')).readFileSync(join(c.state.dir, 'pki', 'ca.crt'))).toString('base64');
    const kc = join(dir, 'config');
    writeFileSync(
      kc,
      `clusters: [{name: c, cluster: {server: "${c.server}", certificate-authority-data: ${ca}}}]\nusers: [{name: sa, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, env: [{name: MY_TOKEN, value: "${token}"}], interactiveMode: Never}}}]\ncontexts: [{name: x, context: {cluster: c, user: sa, namespace: ${NS}}}]\ncurrent-context: x\n`,
    );
    const k = make(kc);
    const pods = await k.list('v1', 'Pod', { namespace: NS });
    assert.ok(Array.isArray(pods));
    await assert.rejects(k.list('v1', 'Secret', { namespace: NS }), /forbidden: .*system:serviceaccount:client-test:plugin-user/);
  });

  it('a wrong CA is reported as an untrusted certificate', async () => {
    const c = await sharedCluster();
    const dir = mkdtempSync(join(tmpdir(), 'badca-'));
    const other = execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k'), '-subj', '/CN=other', '-days', '1'],
      { encoding: 'utf8' },
    );
    const kc = join(dir, 'config');
    writeFileSync(
      kc,
      `clusters: [{name: c, cluster: {server: "${c.server}", certificate-authority-data: ${Buffer.from(other).toString('base64')}}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    await assert.rejects(
      make(kc).serverVersion(),
      (e: Error) =>
        e instanceof KubeApiError &&
        e.message.includes(`cannot reach the cluster at ${c.server} (context "x"): the server's certificate `) &&
        /(cannot be verified|chain is not trusted)/.test(e.message),
    );
  });
});
