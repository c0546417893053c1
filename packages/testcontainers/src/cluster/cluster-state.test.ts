import { createPlan } from '@redis-cluster-kit/plan';
import {
  canonicalSlotMap,
  compactClusterInfo,
  describeSlotMapDifference,
  evaluateReadiness,
  expectedSlotMap,
  nodeProblems,
  parseClusterSlots,
  parseInfo,
  slotsCovered,
  type NodeSnapshot,
} from './cluster-state';

const ID1 = 'a'.repeat(40);
const ID2 = 'b'.repeat(40);
const ID3 = 'c'.repeat(40);
const ID4 = 'd'.repeat(40);

const CLUSTER_INFO_OK = [
  'cluster_state:ok',
  'cluster_slots_assigned:16384',
  'cluster_slots_ok:16384',
  'cluster_slots_pfail:0',
  'cluster_slots_fail:0',
  'cluster_known_nodes:4',
  'cluster_size:2',
  'cluster_current_epoch:2',
  'cluster_my_epoch:1',
  'cluster_stats_messages_ping_sent:12',
  'cluster_stats_messages_sent:24',
  'total_cluster_links_buffer_limit_exceeded:0',
  '',
].join('\r\n');

const INFO_REPLICATION_UP = ['# Replication', 'role:slave', 'master_host:172.18.0.2', 'master_port:7101', 'master_link_status:up', 'slave_repl_offset:14', ''].join('\r\n');

// What ioredis returns for CLUSTER SLOTS of a 2x1 cluster announcing hostnames (RESP2).
function slotsReply(endpoint2 = 'redis-node-2'): unknown {
  return [
    [0, 8191, ['redis-node-1', 7101, ID1, ['ip', '172.18.0.2']], ['redis-node-3', 7103, ID3, ['ip', '172.18.0.4']]],
    [8192, 16383, [endpoint2, 7102, ID2, ['ip', '172.18.0.3']], ['redis-node-4', 7104, ID4, ['ip', '172.18.0.5']]],
  ];
}

const plan = createPlan({ masters: 2, replicas: 1 });
const ids = new Map([
  ['redis-node-1', ID1],
  ['redis-node-2', ID2],
  ['redis-node-3', ID3],
  ['redis-node-4', ID4],
]);
const expected = { nodeCount: 4, slotMap: expectedSlotMap(plan, ids) };

describe('parsing node replies', () => {
  it('reads INFO and CLUSTER INFO texts, skipping sections', () => {
    expect(parseInfo(INFO_REPLICATION_UP)).toMatchObject({ role: 'slave', master_link_status: 'up', slave_repl_offset: '14' });
    expect(parseInfo(CLUSTER_INFO_OK)['cluster_state']).toBe('ok');
  });

  it('compacts CLUSTER INFO on one line without message counters', () => {
    const line = compactClusterInfo(CLUSTER_INFO_OK);
    expect(line).toBe(
      'cluster_state:ok cluster_slots_assigned:16384 cluster_slots_ok:16384 cluster_slots_pfail:0 cluster_slots_fail:0 cluster_known_nodes:4 cluster_size:2 cluster_current_epoch:2 cluster_my_epoch:1 total_cluster_links_buffer_limit_exceeded:0',
    );
    expect(compactClusterInfo(undefined)).toBe('no CLUSTER INFO yet');
  });

  it('reads CLUSTER SLOTS into ranges sorted by slot, replicas sorted by id', () => {
    const reversed = [...(slotsReply() as unknown[])].reverse();
    const entries = parseClusterSlots(reversed);
    expect(entries.map((e) => [e.start, e.end, e.master.endpoint, e.replicas.map((r) => r.endpoint)])).toEqual([
      [0, 8191, 'redis-node-1:7101', ['redis-node-3:7103']],
      [8192, 16383, 'redis-node-2:7102', ['redis-node-4:7104']],
    ]);
    expect(slotsCovered(entries)).toBe(16384);
    expect(() => parseClusterSlots('nope')).toThrow(TypeError);
  });

  it('accepts byte-string fields and shows an unknown hostname as "?"', () => {
    const entries = parseClusterSlots([[0, 16383, [Buffer.from(''), 7101, Buffer.from(ID1)]]]);
    expect(entries[0]!.master).toEqual({ endpoint: '?:7101', id: ID1 });
  });
});

describe('slot map comparison', () => {
  it('is equal for the same map whatever the order of the reply', () => {
    const a = parseClusterSlots(slotsReply());
    const b = parseClusterSlots([...(slotsReply() as unknown[])].reverse());
    expect(canonicalSlotMap(a)).toBe(canonicalSlotMap(b));
    expect(describeSlotMapDifference(a, expected.slotMap)).toBeUndefined();
  });

  it('says how a map differs: coverage, ranges, owners, replicas', () => {
    const full = parseClusterSlots(slotsReply());
    expect(describeSlotMapDifference(full.slice(0, 1), expected.slotMap)).toBe('its slot map covers 8192 of 16384 slots');
    expect(describeSlotMapDifference(parseClusterSlots(slotsReply('?')), expected.slotMap)).toBe(
      'its slot map gives 8192-16383 to ?:7102, expected redis-node-2:7102',
    );
    const noReplica = full.map((e, i) => (i === 1 ? { ...e, replicas: [] } : e));
    expect(describeSlotMapDifference(noReplica, expected.slotMap)).toBe('its slot map lists replicas [] for 8192-16383, expected [redis-node-4:7104]');
    const shifted = [
      { ...full[0]!, end: 8000 },
      { ...full[1]!, start: 8001 },
    ];
    expect(describeSlotMapDifference(shifted, expected.slotMap)).toBe('its slot map has range 0-8000, expected 0-8191');
  });
});

describe('readiness rule', () => {
  const ready = (name: string, role: 'master' | 'replica'): NodeSnapshot => ({
    name,
    role,
    clusterInfo: CLUSTER_INFO_OK,
    slots: parseClusterSlots(slotsReply()),
    ...(role === 'replica' ? { replication: INFO_REPLICATION_UP } : {}),
  });

  it('passes when every node is ok, knows all nodes, shows the planned map, and replicas are linked', () => {
    const verdict = evaluateReadiness([ready('redis-node-1', 'master'), ready('redis-node-2', 'master'), ready('redis-node-3', 'replica'), ready('redis-node-4', 'replica')], expected);
    expect(verdict).toEqual({ ready: true, waiting: [] });
  });

  it('lists what each node lacks', () => {
    expect(nodeProblems({ ...ready('redis-node-1', 'master'), clusterInfo: CLUSTER_INFO_OK.replace('cluster_state:ok', 'cluster_state:fail') }, expected)).toEqual(['cluster_state:fail']);
    expect(nodeProblems({ ...ready('redis-node-1', 'master'), clusterInfo: CLUSTER_INFO_OK.replace('cluster_known_nodes:4', 'cluster_known_nodes:3') }, expected)).toEqual([
      'knows 3 of 4 nodes',
    ]);
    expect(nodeProblems({ ...ready('redis-node-3', 'replica'), replication: INFO_REPLICATION_UP.replace('link_status:up', 'link_status:down') }, expected)).toEqual([
      'replication link is down',
    ]);
    expect(nodeProblems({ ...ready('redis-node-3', 'replica'), replication: '# Replication\r\nrole:master\r\n' }, expected)).toEqual(['is not a replica yet (role:master)']);
    expect(nodeProblems({ name: 'redis-node-2', role: 'master', error: 'connect ECONNREFUSED' }, expected)).toEqual(['does not answer (connect ECONNREFUSED)']);
    expect(nodeProblems({ name: 'redis-node-2', role: 'master', clusterInfo: 'cluster_state:fail\r\ncluster_known_nodes:1\r\n' }, expected)).toEqual([
      'cluster_state:fail',
      'knows 1 of 4 nodes',
      'no slot map yet',
    ]);
  });

  it('names a replica that is ok while masters are not (a replica has no writable delay): every node counts', () => {
    const masterFail = { ...ready('redis-node-1', 'master'), clusterInfo: CLUSTER_INFO_OK.replace('cluster_state:ok', 'cluster_state:fail') };
    const verdict = evaluateReadiness([masterFail, ready('redis-node-2', 'master'), ready('redis-node-3', 'replica'), ready('redis-node-4', 'replica')], expected);
    expect(verdict.ready).toBe(false);
    expect(verdict.waiting.map((w) => w.name)).toEqual(['redis-node-1']);
  });

  it('puts the slowest node first: silent nodes, then the one lacking most', () => {
    const verdict = evaluateReadiness(
      [
        { ...ready('redis-node-1', 'master'), clusterInfo: CLUSTER_INFO_OK.replace('cluster_state:ok', 'cluster_state:fail') },
        { name: 'redis-node-2', role: 'master', clusterInfo: 'cluster_state:fail\r\ncluster_known_nodes:1\r\n' },
        { name: 'redis-node-3', role: 'replica', error: 'timeout' },
        ready('redis-node-4', 'replica'),
      ],
      expected,
    );
    expect(verdict.waiting.map((w) => w.name)).toEqual(['redis-node-3', 'redis-node-2', 'redis-node-1']);
  });
});
