/**
 * Replies of the nodes of a 2x1 cluster announcing hostnames (Redis 7.0, as ioredis returns
 * them over RESP2), for the unit tests of the reply parsers and of the health rule.
 */
import { createPlan } from '@redis-cluster-kit/plan';

export const ID1 = 'a'.repeat(40);
export const ID2 = 'b'.repeat(40);
export const ID3 = 'c'.repeat(40);
export const ID4 = 'd'.repeat(40);

export const CLUSTER_INFO_OK = [
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

export const INFO_REPLICATION_UP = [
  '# Replication',
  'role:slave',
  'master_host:172.18.0.2',
  'master_port:7101',
  'master_link_status:up',
  'slave_repl_offset:14',
  '',
].join('\r\n');

// What ioredis returns for CLUSTER SLOTS of a 2x1 cluster announcing hostnames (RESP2).
export function slotsReply(endpoint2 = 'redis-node-2'): unknown {
  return [
    [0, 8191, ['redis-node-1', 7101, ID1, ['ip', '172.18.0.2']], ['redis-node-3', 7103, ID3, ['ip', '172.18.0.4']]],
    [8192, 16383, [endpoint2, 7102, ID2, ['ip', '172.18.0.3']], ['redis-node-4', 7104, ID4, ['ip', '172.18.0.5']]],
  ];
}

/** The plan of these nodes, and their ids. */
export const PLAN = createPlan({ masters: 2, replicas: 1 });
export const IDS = new Map([
  ['redis-node-1', ID1],
  ['redis-node-2', ID2],
  ['redis-node-3', ID3],
  ['redis-node-4', ID4],
]);
