import assert from 'node:assert/strict';
import { mapApiError, networkCode, type ApiOperation, type ApiTarget } from '../../shared/kube/api-errors.js';
import { KubeApiError } from '../../shared/errors.js';

const target: ApiTarget = { context: 'prod', server: 'https://10.0.0.1:6443', user: 'alice' };
const getDeploy: ApiOperation = { verb: 'get', resource: 'deployments.apps', name: 'new-nginx', namespace: 'shop' };

function apiException(code: number, body: object | string) {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

function message(err: unknown, op = getDeploy, attempts = 1): string {
  const mapped = mapApiError(err, op, target, attempts);
  assert.ok(mapped instanceof KubeApiError, 'expected a KubeApiError');
  assert.ok(!mapped.message.includes('\n'), 'one line');
  return mapped.message;
}

describe('API error messages', () => {
  it('connection refused names the server and context', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
    assert.equal(networkCode(err), 'ECONNREFUSED');
    assert.equal(message(err), 'cannot reach the cluster at https://10.0.0.1:6443 (context "prod"): connection refused; is the cluster running and is this the right context?');
  });

  it('finds codes inside AggregateErrors and TLS failures', () => {
    const agg = new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })]) });
    assert.match(message(agg), /host unreachable/);
    const tls = new TypeError('fetch failed', { cause: Object.assign(new Error('self signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) });
    assert.match(message(tls), /self-signed/);
  });

  it('401 says whose credentials were rejected', () => {
    assert.match(message(apiException(401, { kind: 'Status', message: 'Unauthorized', reason: 'Unauthorized' })), /^unauthorized: the cluster at https:\/\/10.0.0.1:6443 rejected the credentials of user "alice" \(context "prod"\)/);
  });

  it('403 keeps the server sentence naming the verb and resource', () => {
    const m = message(
      apiException(403, {
        message: 'deployments.apps "new-nginx" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "shop"',
        reason: 'Forbidden',
      }),
    );
    assert.match(m, /^forbidden: .*User "alice" cannot get resource "deployments" in API group "apps" in the namespace "shop" \(context "prod"\); ask for RBAC permission to get deployments.apps/);
  });

  it('404 says what is missing and where; an unknown type says so', () => {
    assert.equal(
      message(apiException(404, { reason: 'NotFound', details: { name: 'new-nginx', kind: 'deployments' }, message: 'not found' })),
      'deployments.apps "new-nginx" not found in namespace "shop" (context "prod")',
    );
    assert.match(message(apiException(404, '404 page not found'), { verb: 'list', resource: 'virtualservices.networking.istio.io', namespace: 'shop' }), /does not serve virtualservices.networking.istio.io .*CRD/);
  });

  it('409: conflict after retries, and already exists', () => {
    assert.match(message(apiException(409, { reason: 'Conflict', message: 'the object has been modified' }), getDeploy, 5), /kept changing .*gave up after 5 attempts/);
    assert.equal(
      message(apiException(409, { reason: 'AlreadyExists', message: 'exists' }), { ...getDeploy, verb: 'create' }),
      'deployments.apps "new-nginx" already exists in namespace "shop" (context "prod")',
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
    assert.equal(m, 'the server rejected deployments.apps "new-nginx" in namespace "shop" (context "prod"): spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  it('other codes keep the server message; non-API errors pass through', () => {
    assert.match(message(apiException(500, { message: 'etcdserver: request timed out' })), /the server answered 500: etcdserver: request timed out/);
    const bug = new RangeError('boom');
    assert.equal(mapApiError(bug, getDeploy, target), bug);
  });
});
