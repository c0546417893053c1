import { addChainInput, clusterChainPrefix, partitionChain, removeChainsInput } from './iptables';

describe('partition rules (iptables-restore input)', () => {
  it('a chain of the partition own, only DROP rules between node addresses, jumped to from INPUT', () => {
    const chain = partitionChain('0123456789ab', 2);
    expect(chain).toBe('rck-0123456789ab-2');
    expect(chain.length).toBeLessThanOrEqual(28); // iptables' limit
    expect(chain.startsWith(clusterChainPrefix('0123456789ab'))).toBe(true);
    expect(
      addChainInput(chain, [{ source: '172.18.0.3' }, { source: '127.150.3.1', destination: '127.150.3.2' }]),
    ).toBe(
      [
        '*filter',
        ':rck-0123456789ab-2 - [0:0]',
        '-A rck-0123456789ab-2 -s 172.18.0.3/32 -p tcp -j DROP',
        '-A rck-0123456789ab-2 -s 127.150.3.1/32 -d 127.150.3.2/32 -p tcp -j DROP',
        '-I INPUT 1 -j rck-0123456789ab-2',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('removal takes out the jump and the chain, nothing else', () => {
    expect(removeChainsInput(['rck-a-1', 'rck-a-2'])).toBe(
      '*filter\n-D INPUT -j rck-a-1\n-F rck-a-1\n-X rck-a-1\n-D INPUT -j rck-a-2\n-F rck-a-2\n-X rck-a-2\nCOMMIT\n',
    );
  });
});
