// The Cookie-header regex both canary routes and bluegreen previews write, and its reading back.
import assert from 'node:assert/strict';
import { cookieFromRegex, cookieRegex } from '../../shared/http/cookie.js';

describe('cookie regex (header-only routers)', () => {
  it('matches the pair anywhere in the Cookie header, name and value taken literally', () => {
    const re = new RegExp(cookieRegex('canary', 'a.b'));
    for (const header of ['canary=a.b', 'x=1; canary=a.b', 'x=1;canary=a.b; y=2']) assert.ok(re.test(header), header);
    for (const header of ['canary=aXb', 'notcanary=a.b', 'canary=a.bc', 'canary=']) assert.ok(!re.test(header), header);
  });

  it('reads back what it wrote, and nothing else', () => {
    for (const [name, value] of [
      ['beta', 'always'],
      ['a.b', 'x(1)'],
      ['c', 'v=w'],
    ] as const)
      assert.deepEqual(cookieFromRegex(cookieRegex(name, value)), { name, value });
    assert.equal(cookieFromRegex('^foo$'), undefined);
  });
});
