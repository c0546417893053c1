/**
 * The `netfaults` section of `pnpm bench`: what `networkFaults: true` costs (a fresh 3x0's start,
 * and a command's round trip through the link proxies, sequential and 50 in flight), and the
 * minority-master partition of docs/faults.md measured `runs` times per runtime (3x1, node
 * timeout 2000 ms): partition to CLUSTERDOWN, to the replica's promotion, lift to rejoin, and the
 * writes the old master acknowledged meanwhile that were lost.
 */
import { Redis } from 'ioredis';
import { keyForSlot, startRedisCluster, type RuntimeKind } from '@redis-cluster-kit/testcontainers';

const now = () => performance.now();

export interface CostSample {
  startMs: number;
  /** Median round trip of one SET at a time (µs). */
  sequentialUs: number;
  /** SETs per second with 50 in flight. */
  concurrentPerSec: number;
}

/** A fresh 3x0 with networkFaults on or off: its start, then 2000 sequential and 20000 concurrent SETs through rc.cluster. */
export async function costSample(runtime: RuntimeKind, networkFaults: boolean, image: string): Promise<CostSample> {
  const t0 = now();
  const rc = await startRedisCluster({
    masters: 3,
    networkFaults,
    ...(runtime === 'docker' ? { image } : { runtime }),
  });
  const startMs = now() - t0;
  try {
    const rtts: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = now();
      await rc.cluster.set(`bench:seq:${i}`, 'x');
      rtts.push(now() - t);
    }
    rtts.sort((a, b) => a - b);
    const total = 20_000;
    let next = 0;
    const t1 = now();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < total) await rc.cluster.set(`bench:con:${next++}`, 'x');
      }),
    );
    return { startMs, sequentialUs: rtts[rtts.length >> 1]! * 1000, concurrentPerSec: total / ((now() - t1) / 1000) };
  } finally {
    await rc.stop();
  }
}

export interface PartitionSample {
  toClusterDownMs: number;
  toPromotionMs: number;
  toRejoinMs: number;
  acknowledged: number;
  lost: number;
}

/** One cluster, `runs` times: isolate a master (each shard's in turn), write to it until CLUSTERDOWN, wait for the promotion, lift, wait for the rejoin, count the lost writes, heal(). */
export async function partitionSamples(runtime: RuntimeKind, runs: number, image: string): Promise<PartitionSample[]> {
  const rc = await startRedisCluster({
    masters: 3,
    replicas: 1,
    nodeTimeoutMs: 2000,
    networkFaults: true,
    ...(runtime === 'docker' ? { image } : { runtime }),
  });
  const samples: PartitionSample[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      // A shard in turn: a replica that won an election waits 4 node timeouts before it runs
      // another (cluster.c clusterHandleSlaveFailover(), auth_retry_time), so the same shard
      // partitioned again right after heal() would add that wait to the promotion.
      const shard = rc.plan.shards[run % rc.plan.shards.length]!;
      const victim = shard.master.name;
      const replica = shard.replicas[0]!.name;
      const firstSlot = shard.master.slots!.start;
      const node = rc.nodes.find((n) => n.name === victim)!;
      const conn = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 0 });
      try {
        const partition = await rc.isolate(victim);
        const acked: string[] = [];
        let clusterDownAt = 0;
        for (let i = 0; clusterDownAt === 0; i++) {
          const key = keyForSlot(firstSlot + (i % 500), `:bench:${run}:${i}`);
          try {
            await conn.set(key, 'v');
            acked.push(key);
          } catch {
            clusterDownAt = now();
          }
        }
        const until = async (what: () => Promise<boolean>) => {
          while (!(await what())) await new Promise((r) => setTimeout(r, 20));
          return now();
        };
        const promotedAt = await until(
          async () => (await rc.topology({ from: replica })).node(replica).role === 'master',
        );
        await partition.lift();
        const liftedAt = now();
        const rejoinedAt = await until(async () => {
          const me = (await rc.topology({ from: victim })).node(victim);
          return me.role === 'replica' && me.masterName === replica;
        });
        await rc.waitForClusterOk();
        const present = await Promise.all(acked.map((k) => rc.cluster.exists(k)));
        samples.push({
          toClusterDownMs: clusterDownAt - partition.at,
          toPromotionMs: promotedAt - partition.at,
          toRejoinMs: rejoinedAt - liftedAt,
          acknowledged: acked.length,
          lost: present.filter((p) => p === 0).length,
        });
        process.stderr.write(`  ${runtime} partition: run ${run + 1}/${runs}\n`);
      } finally {
        conn.disconnect();
        await rc.heal();
      }
    }
  } finally {
    await rc.stop();
  }
  return samples;
}
