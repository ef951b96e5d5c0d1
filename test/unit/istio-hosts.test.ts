// The one rule mapping a VirtualService or DestinationRule host to a Service (shared/istio/hosts.ts),
// as istiod's ResolveShortnameToFQDN does it: only a name without a dot is completed with the
// resource's namespace; anything with a dot is taken as written.
import assert from 'node:assert/strict';
import { namesService, resolveHost, serviceOfHost } from '../../shared/istio/hosts.js';

describe('Istio host to Service', () => {
  // host, namespace of the resource it is written in, FQDN istiod reads, Service it names ("name.ns" or none)
  const rows: [string, string, string, string | undefined][] = [
    ['reviews', 'bookinfo', 'reviews.bookinfo.svc.cluster.local', 'reviews.bookinfo'],
    ['reviews.bookinfo.svc.cluster.local', 'bookinfo', 'reviews.bookinfo.svc.cluster.local', 'reviews.bookinfo'],
    ['reviews.bookinfo.svc.cluster.local', 'other', 'reviews.bookinfo.svc.cluster.local', 'reviews.bookinfo'],
    ['reviews', 'other', 'reviews.other.svc.cluster.local', 'reviews.other'],
    // A dot means "as written": istiod does not complete these, so they name no Service.
    ['reviews.bookinfo', 'bookinfo', 'reviews.bookinfo', undefined],
    ['reviews.bookinfo.svc', 'bookinfo', 'reviews.bookinfo.svc', undefined],
    ['reviews.bookinfo.svc.cluster', 'bookinfo', 'reviews.bookinfo.svc.cluster', undefined],
    ['www.example.com', 'bookinfo', 'www.example.com', undefined],
    ['web.bookinfo.example.com', 'bookinfo', 'web.bookinfo.example.com', undefined],
    ['a.b.c.svc.cluster.local', 'bookinfo', 'a.b.c.svc.cluster.local', undefined],
    ['*', 'bookinfo', '*', undefined],
    ['*.example.com', 'bookinfo', '*.example.com', undefined],
    ['10.0.0.1', 'bookinfo', '10.0.0.1', undefined],
    ['fd00::1', 'bookinfo', 'fd00::1', undefined],
    ['', 'bookinfo', '', undefined],
  ];
  for (const [host, ns, fqdn, service] of rows) {
    it(`${JSON.stringify(host)} in namespace ${ns}: ${fqdn || '(empty)'} -> ${service ?? 'no Service'}`, () => {
      assert.equal(resolveHost(host, ns), fqdn);
      const found = serviceOfHost(host, ns);
      assert.equal(found ? `${found.name}.${found.namespace}` : undefined, service);
      if (service) {
        const [name, namespace] = service.split('.');
        assert.equal(namesService(host, ns, { name, namespace }), true);
      }
      assert.equal(namesService(host, ns, { name: 'ratings', namespace: ns }), false);
    });
  }

  it('another cluster domain completes short names with it', () => {
    assert.equal(resolveHost('reviews', 'bookinfo', 'corp.example'), 'reviews.bookinfo.svc.corp.example');
    assert.deepEqual(serviceOfHost('reviews.bookinfo.svc.corp.example', 'x', 'corp.example'), { name: 'reviews', namespace: 'bookinfo' });
    assert.equal(serviceOfHost('reviews.bookinfo.svc.cluster.local', 'x', 'corp.example'), undefined);
  });

  it('no host is no Service', () => {
    assert.equal(namesService(undefined, 'bookinfo', { name: 'reviews', namespace: 'bookinfo' }), false);
  });
});
