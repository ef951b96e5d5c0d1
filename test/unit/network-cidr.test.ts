// The network harness's address arithmetic: claims must never overlap a route already on the machine.
import assert from 'node:assert/strict';
import { contains, firstFree, formatCidr, isLoopback, nth, overlaps, parseCidr } from '../harness/network/cidr.js';

describe('network CIDRs', () => {
  it('parses, formats and refuses misaligned or malformed CIDRs', () => {
    assert.equal(formatCidr(parseCidr('10.160.0.0/16')), '10.160.0.0/16');
    assert.equal(formatCidr(parseCidr('192.168.3.202')), '192.168.3.202/32');
    assert.throws(() => parseCidr('10.160.1.0/16'), /not aligned: its network address is 10\.160\.0\.0\/16/);
    assert.throws(() => parseCidr('10.300.0.0/16'), /not an IPv4 address/);
    assert.throws(() => parseCidr('10.0.0.0/33'), /not an IPv4 CIDR/);
  });

  it('knows containment, overlap and the n-th address', () => {
    const pods = parseCidr('172.16.0.0/16');
    assert.ok(contains(pods, '172.16.255.254') && !contains(pods, '172.17.0.0'));
    assert.ok(overlaps(pods, parseCidr('172.16.8.0/24')) && !overlaps(pods, parseCidr('172.19.0.0/20')));
    assert.equal(nth(parseCidr('169.254.64.4/30'), 1), '169.254.64.5');
    assert.throws(() => nth(parseCidr('169.254.64.4/30'), 4), /has no address number 4/);
  });

  it('picks the first free block around what is taken', () => {
    const range = parseCidr('10.160.0.0/14');
    assert.equal(formatCidr(firstFree(range, 16, [])!), '10.160.0.0/16');
    assert.equal(formatCidr(firstFree(range, 16, [parseCidr('10.160.5.0/24'), parseCidr('10.161.0.0/16')])!), '10.162.0.0/16');
    assert.equal(firstFree(range, 16, [parseCidr('10.0.0.0/8')]), undefined);
  });

  it('treats only 127.0.0.0/8, ::1 and localhost as loopback', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('127.9.9.9') && isLoopback('[::1]') && isLoopback('localhost'));
    assert.ok(!isLoopback('10.160.0.1') && !isLoopback('169.254.64.1') && !isLoopback('example.com'));
  });
});
