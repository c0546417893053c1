import { HIDDEN, hideSecret } from './messages';

describe('hideSecret', () => {
  it('hides the secret as it is and as redis-server echoes it (backslashes and double quotes escaped)', () => {
    const secret = 'a"b\\c';
    expect(hideSecret([`requirepass ${secret}`, `'requirepass "a\\"b\\\\c"'`, 'nothing here'], secret)).toEqual([
      `requirepass ${HIDDEN}`,
      `'requirepass "${HIDDEN}"'`,
      'nothing here',
    ]);
  });

  it('hides every occurrence and leaves lines alone without a secret', () => {
    expect(hideSecret(['pw pw', 'x'], 'pw')).toEqual([`${HIDDEN} ${HIDDEN}`, 'x']);
    expect(hideSecret(['pw'], undefined)).toEqual(['pw']);
    expect(hideSecret(['pw'], '')).toEqual(['pw']);
  });
});
