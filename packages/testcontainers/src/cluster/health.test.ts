import {
  CLUSTER_INFO_OK,
  ID1,
  ID2,
  ID3,
  ID4,
  IDS,
  INFO_REPLICATION_UP,
  PLAN,
  slotsReply,
} from '../../test/helpers/replies';
import {
  evaluateHealth,
  healthProblems,
  readyExpectation,
  type HealthExpectation,
  type HealthSnapshot,
} from './health';
import { parseClusterNodes, parseClusterSlots } from './replies';

// One rule, two expectations: ready after start (the plan's slot map) and ok again after a fault.
const expected = readyExpectation(PLAN, IDS);
const NAMES = new Map([...IDS].map(([name, id]) => [id, name]));

describe("ready after start: the plan's slot map everywhere, planned replicas linked", () => {
  const ready = (name: string, role: 'master' | 'replica'): HealthSnapshot => ({
    name,
    clusterInfo: CLUSTER_INFO_OK,
    slots: parseClusterSlots(slotsReply()),
    ...(role === 'replica' ? { replication: INFO_REPLICATION_UP } : {}),
  });

  it('passes when every node is ok, knows all nodes, shows the planned map, and replicas are linked', () => {
    const verdict = evaluateHealth(
      [
        ready('redis-node-1', 'master'),
        ready('redis-node-2', 'master'),
        ready('redis-node-3', 'replica'),
        ready('redis-node-4', 'replica'),
      ],
      expected,
    );
    expect(verdict).toEqual({ ok: true, waiting: [] });
  });

  it('lists what each node lacks', () => {
    expect(
      healthProblems(
        {
          ...ready('redis-node-1', 'master'),
          clusterInfo: CLUSTER_INFO_OK.replace('cluster_state:ok', 'cluster_state:fail'),
        },
        expected,
      ),
    ).toEqual(['cluster_state:fail']);
    expect(
      healthProblems(
        {
          ...ready('redis-node-1', 'master'),
          clusterInfo: CLUSTER_INFO_OK.replace('cluster_known_nodes:4', 'cluster_known_nodes:3'),
        },
        expected,
      ),
    ).toEqual(['knows 3 of 4 nodes']);
    expect(
      healthProblems(
        {
          ...ready('redis-node-3', 'replica'),
          replication: INFO_REPLICATION_UP.replace('link_status:up', 'link_status:down'),
        },
        expected,
      ),
    ).toEqual(['replication link is down']);
    expect(
      healthProblems(
        { ...ready('redis-node-3', 'replica'), replication: '# Replication\r\nrole:master\r\n' },
        expected,
      ),
    ).toEqual(['is not a replica yet (role:master)']);
    expect(healthProblems({ name: 'redis-node-2', error: 'connect ECONNREFUSED' }, expected)).toEqual([
      'does not answer (connect ECONNREFUSED)',
    ]);
    expect(
      healthProblems(
        { name: 'redis-node-2', clusterInfo: 'cluster_state:fail\r\ncluster_known_nodes:1\r\n' },
        expected,
      ),
    ).toEqual(['cluster_state:fail', 'knows 1 of 4 nodes', 'no slot map yet']);
  });

  it('names a replica that is ok while masters are not (a replica has no writable delay): every node counts', () => {
    const masterFail = {
      ...ready('redis-node-1', 'master'),
      clusterInfo: CLUSTER_INFO_OK.replace('cluster_state:ok', 'cluster_state:fail'),
    };
    const verdict = evaluateHealth(
      [masterFail, ready('redis-node-2', 'master'), ready('redis-node-3', 'replica'), ready('redis-node-4', 'replica')],
      expected,
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.waiting.map((w) => w.name)).toEqual(['redis-node-1']);
  });

  it('names a slot half-way (migrating or importing): the plan has none', () => {
    const nodes = (mine: string) =>
      parseClusterNodes(
        `${ID1} 172.18.0.9:7100@17100,redis-node-1 myself,master - 0 0 1 connected 0-8191 ${mine}\n` +
          `${ID2} 172.18.0.9:7100@17100,redis-node-2 master - 0 0 2 connected 8192-16383`,
      );
    expect(healthProblems({ ...ready('redis-node-1', 'master'), nodes: nodes(`[100->-${ID2}]`) }, expected)).toEqual([
      'is migrating slot 100',
    ]);
    expect(healthProblems({ ...ready('redis-node-1', 'master'), nodes: nodes(`[9000-<-${ID2}]`) }, expected)).toEqual([
      'is importing slot 9000',
    ]);
  });

  it('puts the slowest node first: silent nodes, then the one lacking most', () => {
    const verdict = evaluateHealth(
      [
        {
          ...ready('redis-node-1', 'master'),
          clusterInfo: CLUSTER_INFO_OK.replace('cluster_state:ok', 'cluster_state:fail'),
        },
        { name: 'redis-node-2', clusterInfo: 'cluster_state:fail\r\ncluster_known_nodes:1\r\n' },
        { name: 'redis-node-3', error: 'timeout' },
        ready('redis-node-4', 'replica'),
      ],
      expected,
    );
    expect(verdict.waiting.map((w) => w.name)).toEqual(['redis-node-3', 'redis-node-2', 'redis-node-1']);
  });
});

describe('ok again after a fault: one slot map, the nodes that are down failed and serving nothing', () => {
  const infoOk = (known = 4) => `cluster_state:ok\r\ncluster_known_nodes:${known}\r\n`;
  const slots = (owner3: string, name3: string) =>
    parseClusterSlots([
      [0, 5460, ['redis-node-1', 7101, ID1], ['redis-node-4', 7104, ID4]],
      [5461, 10922, ['redis-node-2', 7102, ID2]],
      [10923, 16383, [name3, 7103, owner3]],
    ]);
  const line = (id: string, name: string, flags: string, master = '-', slotsText = '') =>
    `${id} 172.18.0.9:7100@17100,${name} ${flags} ${master} 0 0 1 connected ${slotsText}`.trim();
  const healthyNodes = (flags3: string) =>
    parseClusterNodes(
      [
        line(ID1, 'redis-node-1', 'myself,master', '-', '0-5460'),
        line(ID2, 'redis-node-2', 'master', '-', '5461-10922'),
        line(ID3, 'redis-node-3', flags3, '-', '10923-16383'),
        line(ID4, 'redis-node-4', 'slave', ID1),
      ].join('\n'),
    );
  const expectation = (down: string[] = []): HealthExpectation => ({ nodeCount: 4, names: NAMES, down: new Set(down) });

  it('is ok when every running node is ok, agrees, and sees no failure', () => {
    const snapshot: HealthSnapshot = {
      name: 'redis-node-1',
      clusterInfo: infoOk(),
      slots: slots(ID3, 'redis-node-3'),
      nodes: healthyNodes('master'),
    };
    expect(evaluateHealth([snapshot, { ...snapshot, name: 'redis-node-2' }], expectation())).toEqual({
      ok: true,
      waiting: [],
    });
  });

  it('is not ok while a node that is down still serves slots or is not marked failed', () => {
    const snapshot: HealthSnapshot = {
      name: 'redis-node-1',
      clusterInfo: infoOk(),
      slots: slots(ID3, 'redis-node-3'),
      nodes: healthyNodes('master,fail?'),
    };
    const verdict = evaluateHealth([snapshot], expectation(['redis-node-3']));
    expect(verdict.ok).toBe(false);
    expect(verdict.waiting[0]!.problems).toEqual([
      'its slot map still lists "redis-node-3 (master of 10923-16383)", which is down',
      'has not marked "redis-node-3" (down) as failed yet',
    ]);
  });

  it('names a running node that another sees as failed, a slot map that differs, a fail state and a replica link down', () => {
    const first: HealthSnapshot = {
      name: 'redis-node-1',
      clusterInfo: infoOk(),
      slots: slots(ID3, 'redis-node-3'),
      nodes: healthyNodes('master,fail'),
    };
    const second: HealthSnapshot = {
      name: 'redis-node-4',
      clusterInfo: 'cluster_state:fail\r\ncluster_known_nodes:3\r\n',
      slots: slots(ID2, 'redis-node-2'),
      nodes: parseClusterNodes(line(ID4, 'redis-node-4', 'myself,slave', ID1)),
      replication: 'role:slave\r\nmaster_link_status:down\r\n',
    };
    const silent: HealthSnapshot = { name: 'redis-node-2', error: 'no answer within 1000 ms' };
    const verdict = evaluateHealth([first, second, silent], expectation());
    expect(verdict.waiting.map((w) => w.name)).toEqual(['redis-node-2', 'redis-node-4', 'redis-node-1']);
    expect(verdict.waiting[0]!.problems).toEqual(['does not answer (no answer within 1000 ms)']);
    expect(verdict.waiting[1]!.problems).toEqual([
      'cluster_state:fail',
      'knows 3 of 4 nodes',
      `its slot map differs from "redis-node-1"'s (its slot map gives 10923-16383 to redis-node-2:7103, expected redis-node-3:7103)`,
      'replication link is down',
    ]);
    expect(verdict.waiting[2]!.problems).toEqual(['sees "redis-node-3" as failed']);
  });

  it('is not ok when no node was polled', () => {
    expect(evaluateHealth([], expectation()).ok).toBe(false);
  });
});
