// Which requests go through a proxy: the NO_PROXY table follows golang.org/x/net/http/httpproxy's
// rules (the source kubectl's transport uses), case by case.
import assert from 'node:assert/strict';
import { bypassesProxy, parseProxyUrl, proxyFor } from '../../shared/kube/proxy.js';
import { ConfigError } from '../../shared/errors.js';

describe('proxy choice (as kubectl / Go httpproxy)', () => {
  // [host, port, NO_PROXY, bypasses]
  const table: [string, string, string, boolean][] = [
    ['localhost', '6443', '', true],
    ['127.0.0.1', '6443', '', true],
    ['127.9.9.9', '6443', '', true],
    ['::1', '6443', '', true],
    ['api.example.com', '443', '', false],
    ['api.example.com', '443', '*', true],
    ['10.1.2.3', '443', '*', true],
    ['api.example.com', '443', 'example.com', true],
    ['example.com', '443', 'example.com', true],
    ['notexample.com', '443', 'example.com', false],
    ['api.example.com', '443', '.example.com', true],
    ['example.com', '443', '.example.com', false],
    ['api.example.com', '443', '*.example.com', true],
    ['example.com', '443', '*.example.com', false],
    ['API.Example.COM', '443', 'example.com', true],
    ['api.example.com', '6443', 'example.com:6443', true],
    ['api.example.com', '443', 'example.com:6443', false],
    ['api.example.com', '443', ' other.org , example.com ', true],
    ['10.1.2.3', '443', '10.0.0.0/8', true],
    ['11.1.2.3', '443', '10.0.0.0/8', false],
    ['10.1.2.3', '443', '10.1.2.3', true],
    ['10.1.2.3', '6443', '10.1.2.3:6443', true],
    ['10.1.2.3', '443', '10.1.2.3:6443', false],
    ['10.1.2.3', '443', '10.1.2.4', false],
    ['2001:db8::5', '443', '2001:db8::/32', true],
    ['2001:db8::5', '443', '[2001:db8::5]:443', true],
    ['2001:db8::5', '443', '2001:db8::5', true],
    // A domain entry never matches an IP host, and a CIDR never matches a name.
    ['10.1.2.3', '443', '3', false],
    ['ten.example', '443', '10.0.0.0/8', false],
    ['xn--bcher-kva.example', '443', 'bücher.example', true],
  ];
  for (const [host, port, noProxy, want] of table) {
    it(`${host}:${port} with NO_PROXY=${JSON.stringify(noProxy)} ${want ? 'goes direct' : 'uses the proxy'}`, () => {
      assert.equal(bypassesProxy(host, port, noProxy), want);
    });
  }

  it('HTTPS_PROXY for https servers, HTTP_PROXY for http ones (upper case first), host:port meaning http://', () => {
    const https = new URL('https://api.example.com:6443');
    const http = new URL('http://api.example.com:8080');
    assert.equal(proxyFor(https, undefined, 'c', { HTTPS_PROXY: 'proxy.corp:3128' })?.url.href, 'http://proxy.corp:3128/');
    assert.equal(proxyFor(https, undefined, 'c', { https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:2' })?.url.host, 'up:2');
    assert.equal(proxyFor(https, undefined, 'c', { https_proxy: 'http://low:1' })?.url.host, 'low:1');
    assert.equal(proxyFor(https, undefined, 'c', { HTTP_PROXY: 'http://p:1' }), undefined, 'HTTP_PROXY is not for https');
    assert.equal(proxyFor(http, undefined, 'c', { HTTP_PROXY: 'http://p:1' })?.source, 'HTTP_PROXY');
    assert.equal(proxyFor(http, undefined, 'c', { HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' }), undefined, 'refused under CGI');
    assert.equal(proxyFor(https, undefined, 'c', { HTTPS_PROXY: 'socks5://s:1080' })?.url.protocol, 'socks5:');
    assert.equal(proxyFor(https, undefined, 'c', { HTTPS_PROXY: 'http://p:1', no_proxy: 'example.com' }), undefined);
  });

  it("a cluster's proxy-url applies to every request, loopback and NO_PROXY included", () => {
    const p = proxyFor(new URL('https://127.0.0.1:6443'), 'socks5://u:p@127.0.0.1:1080', 'c', { NO_PROXY: '*' });
    assert.equal(p?.url.href, 'socks5://u:p@127.0.0.1:1080');
    assert.equal(p?.source, 'proxy-url of cluster "c"');
  });

  it('proxy-url schemes are http, https and socks5, as clientcmd checks them', () => {
    for (const ok of ['http://p:1', 'https://p:1', 'socks5://p:1']) assert.doesNotThrow(() => parseProxyUrl(ok, 'c'));
    assert.throws(
      () => parseProxyUrl('ftp://p:1', 'c'),
      (e: Error) => e instanceof ConfigError && e.message === 'proxy-url "ftp://p:1" of cluster "c" has scheme "ftp"; use http, https or socks5',
    );
    assert.throws(() => parseProxyUrl('p:1:2', 'c'), /is not a URL|has scheme/);
  });
});
