/**
 * The hand-rolled peer the benchmark compares against: what a user writes today without this
 * project. Testcontainers starts one container per node, `redis-cli --cluster create` forms the
 * cluster through exec, a hand-built natMap maps container IPs to published ports, and the test
 * waits until a client is ready and a write lands on every master.
 */
import { splitSlots } from '@redis-cluster-kit/plan';
import { keyForSlot } from '@redis-cluster-kit/testcontainers';
import { Cluster } from 'ioredis';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';

const PORT = 6379;

export interface Peer {
  cluster: Cluster;
  stop(): Promise<void>;
}

export async function startPeer(image: string, masters: number, replicas: number): Promise<Peer> {
  let network: StartedNetwork | undefined;
  const containers: StartedTestContainer[] = [];
  let cluster: Cluster | undefined;
  const stop = async () => {
    cluster?.disconnect();
    await Promise.all(containers.map((c) => c.stop({ timeout: 0, removeVolumes: true })));
    await network?.stop();
  };
  try {
    network = await new Network().start();
    const n = masters * (1 + replicas);
    const started = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        new GenericContainer(image)
          .withNetwork(network!)
          .withNetworkAliases(`redis-${i}`)
          .withExposedPorts(PORT)
          .withLabels({ 'redis-cluster-kit': 'true', 'redis-cluster-kit.bench': 'peer' })
          .withCommand(['redis-server', '--port', `${PORT}`, '--cluster-enabled', 'yes', '--protected-mode', 'no'])
          .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
          .start(),
      ),
    );
    containers.push(...started);
    const ips = started.map((c) => c.getIpAddress(network!.getName()));
    const create = await started[0]!.exec([
      'redis-cli',
      '--cluster',
      'create',
      ...ips.map((ip) => `${ip}:${PORT}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    if (create.exitCode !== 0) throw new Error(`redis-cli --cluster create failed: ${create.output}`);
    const natMap = Object.fromEntries(
      started.map((c, i) => [`${ips[i]}:${PORT}`, { host: c.getHost(), port: c.getMappedPort(PORT) }]),
    );
    cluster = new Cluster([{ host: started[0]!.getHost(), port: started[0]!.getMappedPort(PORT) }], { natMap });
    await new Promise<void>((resolve, reject) => {
      cluster!.once('ready', resolve);
      cluster!.once('error', reject);
    });
    // Usable means a write lands on every master (redis-cli splits slots as the plan does):
    // retry while the cluster still answers CLUSTERDOWN and the like.
    for (const range of splitSlots(masters)) {
      const key = keyForSlot(range.start, 'peer-probe');
      for (let attempt = 0; ; attempt++) {
        try {
          await cluster.set(key, '1');
          break;
        } catch (error) {
          if (attempt > 400) throw error;
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    }
    return { cluster, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
