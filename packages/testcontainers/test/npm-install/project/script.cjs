// A CommonJS script: startRedisCluster() through `require`, with the user's ioredis.
const { startRedisCluster } = require('@redis-cluster-kit/testcontainers');
const { Cluster } = require('ioredis');

async function main() {
  const rc = await startRedisCluster({ masters: 3, replicas: 0, namePrefix: 'npm-proof' });
  try {
    await rc.cluster.set('script:cjs', 'v');
    const value = await rc.cluster.get('script:cjs');
    console.log(JSON.stringify({ value, sameIoredis: rc.cluster instanceof Cluster, id: rc.id }));
  } finally {
    await rc.stop();
  }
}
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
