import { CLUSTER_INFO_OK, ID1, IDS, INFO_REPLICATION_UP, PLAN, slotsReply } from '../../test/helpers/replies';
import {
  canonicalSlotMap,
  compactClusterInfo,
  describeSlotMapDifference,
  expectedSlotMap,
  parseClusterSlots,
  parseInfo,
  slotsCovered,
} from './replies';

const expected = { nodeCount: 4, slotMap: expectedSlotMap(PLAN, IDS) };

describe('parsing node replies', () => {
  it('reads INFO and CLUSTER INFO texts, skipping sections', () => {
    expect(parseInfo(INFO_REPLICATION_UP)).toMatchObject({
      role: 'slave',
      master_link_status: 'up',
      slave_repl_offset: '14',
    });
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
    expect(describeSlotMapDifference(full.slice(0, 1), expected.slotMap)).toBe(
      'its slot map covers 8192 of 16384 slots',
    );
    expect(describeSlotMapDifference(parseClusterSlots(slotsReply('?')), expected.slotMap)).toBe(
      'its slot map gives 8192-16383 to ?:7102, expected redis-node-2:7102',
    );
    const noReplica = full.map((e, i) => (i === 1 ? { ...e, replicas: [] } : e));
    expect(describeSlotMapDifference(noReplica, expected.slotMap)).toBe(
      'its slot map lists replicas [] for 8192-16383, expected [redis-node-4:7104]',
    );
    const shifted = [
      { ...full[0]!, end: 8000 },
      { ...full[1]!, start: 8001 },
    ];
    expect(describeSlotMapDifference(shifted, expected.slotMap)).toBe('its slot map has range 0-8000, expected 0-8191');
  });
});
