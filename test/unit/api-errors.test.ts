import assert from 'node:assert/strict';
import { isConflict, mapApiError, networkCode, type ApiOperation, type ApiTarget } from '../../shared/kube/api-errors.js';
import { KubeApiError } from '../../shared/errors.js';

const target: ApiTarget = { context: 'prod', server: 'https://10.0.0.1:6443', user: 'alice' };
const getDeploy: ApiOperation = { verb: 'get', resource: 'deployments.apps', name: 'new-nginx', namespace: 'shop' };

function apiException(code: number, body: object | string) {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

function message(err: unknown, op = getDeploy): string {
  const mapped = mapApiError(err, op, target);
  assert.ok(mapped instanceof KubeApiError, 'expected a KubeApiError');
  assert.ok(!mapped.message.includes('\n'), 'one line');
  return mapped.message;
}

describe('API error messages', () => {
  it('connection refused names the server and context', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
    assert.equal(networkCode(err), 'ECONNREFUSED');
    assert.equal(
      message(err),
      'cannot reach the cluster at https://10.0.0.1:6443 (context "prod"): connection refused; is the cluster running and is this the right context?',
    );
  });

  it('finds codes inside AggregateErrors and TLS failures', () => {
    const agg = new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })]) });
    assert.match(message(agg), /host unreachable/);
    const tls = new TypeError('fetch failed', { cause: Object.assign(new Error('self signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) });
    assert.match(message(tls), /self-signed/);
  });

  it('401 says whose credentials were rejected', () => {
    assert.match(
      message(apiException(401, { kind: 'Status', message: 'Unauthorized', reason: 'Unauthorized' })),
      /^unauthorized: the cluster at https:\/\/10.0.0.1:6443 rejected the credentials of user "alice" \(context "prod"\)/,
    );
  });

  it('403 keeps the server sentence naming the verb and resource', () => {
    const m = message(
      apiException(403, {
        message: 'deployments.apps "new-nginx" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "shop"',
        reason: 'Forbidden',
      }),
    );
    assert.match(
      m,
      /^forbidden: .*User "alice" cannot get resource "deployments" in API group "apps" in the namespace "shop" \(context "prod"\); ask for RBAC permission to get deployments.apps/,
    );
  });

  it('404 says what is missing and where; an unknown type says so', () => {
    assert.equal(
      message(apiException(404, { reason: 'NotFound', details: { name: 'new-nginx', kind: 'deployments' }, message: 'not found' })),
      'deployments.apps "new-nginx" not found in namespace "shop" (context "prod")',
    );
    assert.match(
      message(apiException(404, '404 page not found'), { verb: 'list', resource: 'virtualservices.networking.istio.io', namespace: 'shop' }),
      /does not serve virtualservices.networking.istio.io .*CRD/,
    );
  });

  it('409: conflict after retries, and already exists', () => {
    assert.equal(
      message(apiException(409, { reason: 'Conflict', message: 'the object has been modified' })),
      'deployments.apps "new-nginx" kept changing while we updated it in namespace "shop" (context "prod"); run the command again',
    );
    const ssa = mapApiError(
      apiException(409, {
        reason: 'Conflict',
        message: 'Apply failed with 1 conflict: conflict with "helm" using apps/v1: .spec.replicas',
        details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas' }] },
      }),
      { ...getDeploy, verb: 'patch' },
      target,
    ) as KubeApiError;
    assert.equal(ssa.reason, 'FieldManagerConflict');
    assert.equal(isConflict(ssa), false, 'retrying cannot resolve an apply conflict');
    assert.match(ssa.message, /Apply failed with 1 conflict: conflict with "helm"/);
    assert.equal(
      message(apiException(409, { reason: 'AlreadyExists', message: 'exists' }), { ...getDeploy, verb: 'create' }),
      'deployments.apps "new-nginx" already exists in namespace "shop" (context "prod")',
    );
  });

  it('404 for another object (the namespace) names that object', () => {
    const m = message(apiException(404, { reason: 'NotFound', message: 'namespaces "shop" not found', details: { name: 'shop', kind: 'namespaces' } }), {
      ...getDeploy,
      verb: 'create',
    });
    assert.equal(m, 'namespaces "shop" not found (context "prod"), needed to create deployments.apps "new-nginx"');
  });

  it('an HTML page from a proxy, a timeout, a TLS mismatch', () => {
    assert.match(
      message(apiException(502, '<html><body>Bad Gateway</body></html>')),
      /answered 502: an HTML page \(a proxy or load balancer, not the Kubernetes API, answered\)/,
    );
    const slow = Object.assign(new Error('no answer within 60s'), { code: 'KPLUGIN_NO_ANSWER' });
    assert.equal(
      message(slow, { ...getDeploy, verb: 'patch' }),
      'the cluster at https://10.0.0.1:6443 (context "prod") did not answer patch deployments.apps "new-nginx": no answer within 60s; the change may or may not have been applied: check before retrying',
    );
    assert.match(
      message(Object.assign(new Error('wrong version number'), { code: 'EPROTO' })),
      /TLS handshake failed \(does the server speak plain HTTP on this port\?\)/,
    );
    assert.match(
      message(Object.assign(new Error('error:0480006C:PEM routines::no start line'), { code: 'ERR_OSSL_PEM_NO_START_LINE' })),
      /a certificate or key for context "prod" cannot be used: PEM routines::no start line/,
    );
  });

  it('422 names the rejected fields', () => {
    const m = message(
      apiException(422, {
        reason: 'Invalid',
        message: 'Deployment.apps "new-nginx" is invalid',
        details: { causes: [{ field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' }] },
      }),
    );
    assert.equal(
      m,
      'the server rejected deployments.apps "new-nginx" in namespace "shop" (context "prod"): spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  it('other codes keep the server message; non-API errors pass through', () => {
    assert.match(message(apiException(500, { message: 'etcdserver: request timed out' })), /the server answered 500: etcdserver: request timed out/);
    const bug = new RangeError('boom');
    assert.equal(mapApiError(bug, getDeploy, target), bug);
  });
});
