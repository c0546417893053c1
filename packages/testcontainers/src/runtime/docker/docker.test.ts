import { ownerLabels } from './docker';
import { demuxedLines } from './node-container';

describe('owner labels', () => {
  it('say which process of which machine owns a cluster', () => {
    expect(ownerLabels('abc123', undefined, 42, 'ci-box')).toEqual({
      'redis-cluster-kit': 'true',
      'redis-cluster-kit.pid': '42',
      'redis-cluster-kit.host': 'ci-box',
      'redis-cluster-kit.cluster': 'abc123',
    });
    expect(ownerLabels('abc123', 'checkout-suite', 42, 'ci-box')['redis-cluster-kit.name']).toBe('checkout-suite');
  });
});

describe('demuxedLines', () => {
  it('reads the lines of multiplexed docker logs frames, and of raw output', () => {
    const frame = (stream: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    const raw = Buffer.concat([
      frame(1, '1:C # Redis is starting\n'),
      frame(2, '*** FATAL CONFIG FILE ERROR ***\n'),
      frame(2, '>>> \'save "x"\'\n'),
    ]);
    expect(demuxedLines(raw)).toEqual(['1:C # Redis is starting', '*** FATAL CONFIG FILE ERROR ***', `>>> 'save "x"'`]);
    expect(demuxedLines('a\n\nb\n')).toEqual(['a', 'b']);
  });
});
