import { createHash } from 'node:crypto';
import { FIXTURE_USER_RULES } from './options';
import { accessInfo, accessOptions, fixtureAccess, startAclUsers } from './security';

const sha = (s: string) => `#${createHash('sha256').update(s).digest('hex')}`;
const APP = { name: 'app', password: 'app-secret-pw', rules: '~app:*  +@read +@write' };

describe('startAclUsers(): the ACL users a start gives every node, as ACL SETUSER arguments', () => {
  it('no password, no users: only `default`, with every right and no password, as Redis makes it', () => {
    expect(startAclUsers({ password: undefined, users: [], fixtureUser: undefined })).toEqual([
      ['default', 'reset', 'on', 'nopass', '~*', '&*', '+@all'],
    ]);
  });

  it('a password: `default` by the hash of it; each user by the hash of its own, with its rules', () => {
    expect(startAclUsers({ password: 'pw', users: [APP], fixtureUser: undefined })).toEqual([
      ['default', 'reset', 'on', sha('pw'), '~*', '&*', '+@all'],
      ['app', 'reset', 'on', sha('app-secret-pw'), '~app:*', '+@read', '+@write'],
    ]);
  });

  it('defaultUser: false: `default` off, then the users, then the fixture user with its rules', () => {
    const own = { name: 'redis-cluster-kit', password: 'kit-pw' };
    expect(startAclUsers({ password: undefined, users: [APP], fixtureUser: own })).toEqual([
      ['default', 'reset', 'off'],
      ['app', 'reset', 'on', sha('app-secret-pw'), '~app:*', '+@read', '+@write'],
      ['redis-cluster-kit', 'reset', 'on', sha('kit-pw'), ...FIXTURE_USER_RULES.split(' ')],
    ]);
  });

  it('holds no password, only hashes', () => {
    const text = JSON.stringify(
      startAclUsers({ password: 'pw-1', users: [APP], fixtureUser: { name: 'redis-cluster-kit', password: 'kit-pw' } }),
    );
    for (const secret of ['pw-1', 'app-secret-pw', 'kit-pw']) expect(text).not.toContain(secret);
  });

  it('the fixture user may put them back (recycle())', () => {
    expect(FIXTURE_USER_RULES.split(' ')).toEqual(
      expect.arrayContaining(['+acl|users', '+acl|setuser', '+acl|deluser']),
    );
  });
});

describe('accessInfo() and accessOptions()', () => {
  const access = fixtureAccess({ password: 'pw', users: [APP], fixtureUser: undefined }, undefined);

  it("the connection info carries the start's users (for a worker's recycle()); ioredis's options do not", () => {
    expect(accessInfo(access).aclUsers).toEqual(
      startAclUsers({ password: 'pw', users: [APP], fixtureUser: undefined }),
    );
    expect(accessOptions(access)).toEqual({ password: 'pw' });
  });
});
