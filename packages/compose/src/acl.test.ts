import { createHash } from 'node:crypto';
import { aclFileCopy, InvalidAclFileError, KIT_USER, KIT_USER_RULES, parseAclFile, splitWords } from './acl';

const SECRET = 'app-Secret_0123456789';

describe('parseAclFile', () => {
  it('takes the users of a Redis ACL file, blank lines and CRLF ends included', () => {
    const text = [
      'user default off',
      '',
      `user app on >${SECRET} ~app:* &app:* +@read +@write -flushall`,
      'user reader on #' + 'a'.repeat(64) + ' %R~cache:* +get resetchannels',
      'user ops on nopass allkeys allcommands (~log:* +xadd) clearselectors (+get ~x:*)\r',
      `user quoted on >pa"ss'word  +get`,
      '   ',
    ].join('\n');
    expect(parseAclFile(text, 'users.acl')).toEqual([
      { name: 'default', line: 1 },
      { name: 'app', line: 3 },
      { name: 'reader', line: 4 },
      { name: 'ops', line: 5 },
      { name: 'quoted', line: 6 },
    ]);
    expect(parseAclFile('', 'empty.acl')).toEqual([]);
  });

  const bad: Array<[string, string, string]> = [
    ['a comment', '# my users\nuser app on', 'line 1: Redis ACL files have no comments'],
    ['another keyword', 'user app on\nuserx app on', 'line 2: it does not start with "user"'],
    ['no name', 'user', 'line 1: no user name'],
    [
      'a rule that may be a password typed without ">"',
      `user app on ${SECRET} ~*`,
      'line 1: word 4 (not shown) is not an ACL rule',
    ],
    ['a short hash', 'user app on #abc', 'line 1: word 4 (not shown) is a password hash that is not 64 hex digits'],
    ['an empty key pattern', 'user app on ~', 'line 1: word 4 (not shown) is a key or channel pattern that is empty'],
    ['a bad key permission', 'user app on %X~a', 'line 1: word 4 (not shown) is a key permission'],
    ['a lone +', 'user app on +', 'line 1: word 4 (not shown) is a command rule with no command'],
    ['a user twice', 'user app on\nuser b on\nuser app off', 'line 3: user "app" again (first on line 1)'],
    ["the generator's user", `user ${KIT_USER} on nopass`, `line 1: the user "${KIT_USER}" is the generator's own`],
    [
      'a quoted password (Redis takes quotes as characters)',
      `user app on ">${SECRET} x"`,
      'line 1: word 4 (not shown) is not an ACL rule',
    ],
    ['a tab in a name', 'user app\ton >x', 'line 1: a user name with a tab or control characters'],
    ['an open selector', 'user app on (~a +get', 'line 1: a selector "(" is not closed'],
  ];
  it.each(bad)('refuses %s: one line naming the file and the line, never a password', (_label, text, expected) => {
    let error: unknown;
    try {
      parseAclFile(text, 'conf/users.acl');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidAclFileError);
    const message = (error as Error).message;
    expect(message).toContain(`Invalid ACL file "conf/users.acl" ${expected}`);
    expect(message).not.toContain('\n');
    expect(message).not.toContain(SECRET);
  });
});

describe('splitWords', () => {
  it('splits as Redis reads an ACL file: at spaces only, quotes and tabs are characters', () => {
    expect(splitWords(`user a  on ">x y" a\tb`)).toEqual(['user', 'a', 'on', '">x', 'y"', 'a\tb']);
  });
});

describe('aclFileCopy', () => {
  it("is the user's lines, then the generator's user with the SHA-256 of its password, never the password itself", () => {
    const copy = aclFileCopy('user default off\r\n\r\nuser app on >x ~app:* +@all\r\n', 'kit-password-0123456789');
    const hash = createHash('sha256').update('kit-password-0123456789').digest('hex');
    expect(copy).toBe(
      `user default off\nuser app on >x ~app:* +@all\nuser ${KIT_USER} on #${hash} ${KIT_USER_RULES}\n`,
    );
    expect(copy).not.toContain('kit-password-0123456789');
    expect(parseAclFile(copy.replace(new RegExp(`user ${KIT_USER} `), 'user other '), 'copy')).toHaveLength(3);
  });
});
