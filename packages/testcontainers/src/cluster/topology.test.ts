import { parseClusterNodes } from './replies';
import { buildTopology } from './topology';

const ID1 = '1'.repeat(40);
const ID2 = '2'.repeat(40);
const ID3 = '3'.repeat(40);
const ID4 = '4'.repeat(40);
const NAMES = new Map([
  [ID1, 'redis-node-1'],
  [ID2, 'redis-node-2'],
  [ID3, 'redis-node-3'],
  [ID4, 'redis-node-4'],
]);

// CLUSTER NODES of redis-node-1 (Redis 7.0, announcing hostnames), migrating slot 100 to redis-node-2.
const NODES_OF_1 = [
  `${ID2} 172.18.0.3:7102@17102,redis-node-2 master - 0 1700000000000 2 connected 5461-10922`,
  `${ID1} 172.18.0.2:7101@17101,redis-node-1 myself,master - 0 1700000000000 1 connected 0-5460 [100->-${ID2}]`,
  `${ID4} 172.18.0.5:7104@17104,redis-node-4 slave ${ID1} 0 1700000000000 1 connected`,
  `${ID3} 172.18.0.4:7103@17103,redis-node-3 master,fail - 1700000000000 1700000000000 3 disconnected 10923-16383`,
  '',
].join('\n');

const NODES_OF_2 = [
  `${ID2} 172.18.0.3:7102@17102,redis-node-2 myself,master - 0 1700000000000 2 connected 5461-10922 [100-<-${ID1}]`,
].join('\n');

const naming = {
  nameOf: (id: string) => NAMES.get(id),
  announcedOf: (name: string) => `${name}:${7100 + Number(name.slice(-1))}`,
  reach: (announced: string) => ({ host: '127.0.0.1', port: 32000 + Number(announced.slice(-1)) }),
  order: (name: string) => Number(name.slice(-1)),
};

describe('parseClusterNodes', () => {
  it('reads ids, addresses, hostnames, flags, masters, epochs, slots and open migrations', () => {
    const [node2, node1, node4, node3] = parseClusterNodes(NODES_OF_1);
    expect(node1).toEqual({
      id: ID1,
      ip: '172.18.0.2',
      port: 7101,
      busPort: 17101,
      hostname: 'redis-node-1',
      flags: ['myself', 'master'],
      configEpoch: 1,
      linkState: 'connected',
      slots: [{ start: 0, end: 5460 }],
      migrating: [{ slot: 100, toId: ID2 }],
      importing: [],
    });
    expect(node2!.slots).toEqual([{ start: 5461, end: 10922 }]);
    expect(node4).toMatchObject({ flags: ['slave'], masterId: ID1, slots: [] });
    expect(node3).toMatchObject({ flags: ['master', 'fail'], linkState: 'disconnected' });
    expect(parseClusterNodes(NODES_OF_2)[0]!.importing).toEqual([{ slot: 100, fromId: ID1 }]);
  });

  it('reads single slots, no hostname, an unknown address and noflags', () => {
    const [entry] = parseClusterNodes(`${ID1} :0@0 noflags - 0 0 0 connected 7 9-10`);
    expect(entry).toMatchObject({
      ip: '',
      port: 0,
      flags: [],
      slots: [
        { start: 7, end: 7 },
        { start: 9, end: 10 },
      ],
    });
    expect(entry!.hostname).toBeUndefined();
  });

  it('refuses a line it cannot read', () => {
    expect(() => parseClusterNodes('garbage')).toThrow('Unexpected CLUSTER NODES line: garbage');
  });
});

describe('buildTopology', () => {
  it('names nodes, lists them in plan order, maps them to reachable addresses and takes migrations from each node itself', () => {
    const own = new Map([
      ['redis-node-1', parseClusterNodes(NODES_OF_1)],
      ['redis-node-2', parseClusterNodes(NODES_OF_2)],
    ]);
    const topology = buildTopology('redis-node-1', parseClusterNodes(NODES_OF_1), naming, own);
    expect(topology.nodes.map((n) => n.name)).toEqual(['redis-node-1', 'redis-node-2', 'redis-node-3', 'redis-node-4']);
    expect(topology.node('redis-node-1')).toMatchObject({
      role: 'master',
      host: '127.0.0.1',
      port: 32001,
      announced: 'redis-node-1:7101',
      flags: ['master'],
      migrating: [{ slot: 100, to: 'redis-node-2' }],
    });
    expect(topology.node('redis-node-2').importing).toEqual([{ slot: 100, from: 'redis-node-1' }]);
    expect(topology.node('redis-node-4')).toMatchObject({ role: 'replica', masterId: ID1, masterName: 'redis-node-1' });
    expect(topology.masterOf(100)!.name).toBe('redis-node-1');
    expect(topology.masterOf(16383)!.name).toBe('redis-node-3');
    expect(topology.masters.map((m) => m.name)).toEqual(['redis-node-1', 'redis-node-2', 'redis-node-3']);
    expect(topology.replicasOf('redis-node-1').map((r) => r.name)).toEqual(['redis-node-4']);
    expect(() => topology.node('redis-node-9')).toThrow(
      'No node "redis-node-9" in this topology. Nodes are: redis-node-1, redis-node-2, redis-node-3, redis-node-4',
    );
  });
});
