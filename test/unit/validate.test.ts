import assert from 'node:assert/strict';
import {
  dnsLabel,
  dnsSubdomain,
  duration,
  headerValue,
  hostHeader,
  hostName,
  httpPath,
  integer,
  ipAddress,
  keyValue,
  percentage,
  port,
  portSpec,
  re2Pattern,
  serviceName,
} from '../../shared/validate.js';
import { checkFlagValues } from '../../shared/cli/flags.js';
import { UsageError } from '../../shared/errors.js';
import { ValidationError } from '../../shared/errors.js';

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => e instanceof ValidationError && pattern.test(e.message), `expected rejection matching ${pattern}`);
}

describe('validation', () => {
  it('DNS-1123 labels and subdomains', () => {
    for (const good of ['a', 'new-nginx', 'v1', 'a'.repeat(63)]) assert.equal(dnsLabel(good), good);
    for (const bad of ['', 'New', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64)]) rejects(() => dnsLabel(bad), /label|empty|63/);
    for (const good of ['reviews.bookinfo', 'a-b.c', 'x']) assert.equal(dnsSubdomain(good), good);
    for (const bad of ['a..b', '.a', 'A.b', 'a.', 'x'.repeat(254)]) rejects(() => dnsSubdomain(bad), /subdomain|253/);
  });

  it('IPv4 and IPv6 addresses', () => {
    assert.deepEqual(ipAddress('192.168.3.202'), { address: '192.168.3.202', family: 4 });
    assert.deepEqual(ipAddress('2001:DB8::1'), { address: '2001:db8::1', family: 6 });
    assert.deepEqual(ipAddress('[::1]'), { address: '::1', family: 6 });
    for (const bad of ['256.1.1.1', '1.2.3', '10.0.0.1/24', 'host', '1.2.3.4:80', '']) rejects(() => ipAddress(bad), /not a valid IPv4 or IPv6/);
  });

  it('ports and port specs like http:9080', () => {
    assert.equal(port('9080'), 9080);
    for (const bad of ['0', '65536', '80a', '-1', '']) rejects(() => port(bad), /1 to 65535/);
    assert.deepEqual(portSpec('http:9080'), { protocol: 'http', port: 9080, name: 'http-9080' });
    assert.deepEqual(portSpec('TCP:3306'), { protocol: 'tcp', port: 3306, name: 'tcp-3306' });
    assert.deepEqual(portSpec('3306'), { protocol: 'tcp', port: 3306, name: 'tcp-3306' });
    assert.deepEqual(portSpec('grpc:8080:grpc-api'), { protocol: 'grpc', port: 8080, name: 'grpc-api' });
    rejects(() => portSpec('ftp:21'), /protocol "ftp"/);
    rejects(() => portSpec('http:'), /must look like/);
    rejects(() => portSpec('http:99999'), /1 to 65535/);
    rejects(() => portSpec('http:80:Bad_Name'), /port name/);
  });

  it('percentages 0-100', () => {
    assert.equal(percentage('0'), 0);
    assert.equal(percentage('50'), 50);
    assert.equal(percentage('100%'), 100);
    assert.equal(percentage('12.5', 'p', true), 12.5);
    for (const bad of ['101', '-1', '12.5', 'abc', '', '1e2']) rejects(() => percentage(bad), /0 to 100/);
  });

  it('durations as kubectl takes them', () => {
    assert.equal(duration('500ms'), 500);
    assert.equal(duration('30s'), 30_000);
    assert.equal(duration('1m30s'), 90_000);
    assert.equal(duration('2h'), 7_200_000);
    assert.equal(duration('1.5s'), 1500);
    assert.equal(duration('45'), 45_000);
    for (const bad of ['', '10x', 's', '1m 30s', '-5s', '5sec']) rejects(() => duration(bad), /not a duration/);
  });

  it('key=value pairs', () => {
    assert.deepEqual(keyValue('end-user=jason'), ['end-user', 'jason']);
    assert.deepEqual(keyValue('a=b=c'), ['a', 'b=c']);
    rejects(() => keyValue('novalue'), /key=value/);
    rejects(() => keyValue('=x'), /key=value/);
  });

  it('whole numbers as plain decimal digits within bounds (not 1e3, 0x10, 1.0, +5, 1_000)', () => {
    assert.equal(integer('10', '--total', 1, 1000), 10);
    assert.equal(integer('1000', '--total', 1, 1000), 1000);
    for (const bad of ['1e3', '0x10', '1.0', '+5', '1_000', ' 5', '', '0', '1001', 'Infinity', '-1', '0o7', '99999999999999999999'])
      rejects(() => integer(bad, '--total', 1, 1000), /^--total ".*" must be a whole number from 1 to 1000$/);
  });

  it('Service names are DNS-1035 labels', () => {
    assert.equal(serviceName('new-nginx'), 'new-nginx');
    for (const bad of ['1abc', 'a.b', 'New', 'a-']) rejects(() => serviceName(bad), /DNS-1035|DNS-1123 label/);
  });

  it('host names, Host headers and HTTP paths', () => {
    for (const good of ['mini-echo.io', 'reviews', 'Shop.Example.com', 'a'.repeat(63)]) assert.equal(hostName(good), good);
    assert.equal(hostName('*.example.com', '--host', { wildcard: true }), '*.example.com');
    for (const bad of ['bad host!', 'a..b', 'x_y.io', '-a.io', 'http://x', 'x/y', '', '*.example.com', 'a'.repeat(64)])
      rejects(() => hostName(bad), /is not a host name/);
    rejects(() => hostName('Mini-Echo.io', '--host', { lowerCase: true }), /use lower case/);
    for (const good of ['mini-echo.io', 'nginx.default:8080', '10.0.0.1', '10.0.0.1:80', '[::1]:8443']) assert.equal(hostHeader(good), good);
    for (const bad of ['bad host!', 'x:0', 'x:99999', 'http://x', '[zz]:80', 'a:b:c']) rejects(() => hostHeader(bad), /--host/);
    for (const good of ['/', '/api/v1', '/a-b_c.~%20']) assert.equal(httpPath(good), good);
    for (const bad of ['api', '/a b', '/a?x=1', '/a#f', '/a\nb', '']) rejects(() => httpPath(bad), /--path/);
    assert.equal(headerValue('a\tb'), 'a\tb');
    rejects(() => headerValue('a\r\nx-injected: 1'), /control character/);
  });

  it("RE2 patterns by RE2's own rules: Envoy's syntax in, backreferences and lookaround out", async () => {
    for (const good of ['(?i)abc', '(?P<name>x)', '.*Mobile.*', '^v[0-9]+$', 'a{2,1000}']) assert.equal(await re2Pattern(good), good);
    for (const bad of ['(a)\\1', '(?=x)', '(?!x)', '(?<=x)y', '[', '(', 'a{1001}', 'x**', '\\Z']) {
      await assert.rejects(
        re2Pattern(bad, '--header-regex'),
        (e: Error) => e instanceof ValidationError && /is not an RE2 regular expression/.test(e.message),
        bad,
      );
    }
  });

  it('booleans given with = take true or false only, as kubectl', () => {
    const args = { _: [], wait: false, force: true, w: false, watch: false, name: 'x' };
    for (const ok of [['--wait=false'], ['--force=true'], ['--force'], ['--name=yes'], ['--', '--wait=yes']]) checkFlagValues(ok, args);
    for (const [argv, flag] of [
      [['--wait=yes'], '--wait'],
      [['--force=1'], '--force'],
      [['-w=no'], '-w'],
      [['--no-wait=yes'], '--no-wait'],
    ] as const)
      assert.throws(
        () => checkFlagValues([...argv], args),
        (e: Error) => e instanceof UsageError && e.message.startsWith(`invalid value "${argv[0].split('=')[1]}" for ${flag}: use ${flag}, `),
      );
  });
});
