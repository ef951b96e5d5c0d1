import assert from 'node:assert/strict';
import { dnsLabel, dnsSubdomain, duration, ipAddress, keyValue, percentage, port, portSpec } from '../../shared/validate.js';
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
});
