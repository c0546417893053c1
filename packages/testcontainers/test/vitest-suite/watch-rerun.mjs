// Vitest in watch mode, driven through its Node API as the CLI drives it: the first run, then a
// rerun of every file. Between the two, a key is written into the run's cluster from outside;
// the kit's globalSetup must empty the cluster on the rerun (project.onTestsRerun). Prints one
// JSON line for the outer test: {"first":..., "rerun":..., "keyAfterRerun":..., "cluster":...}.
import { connectToCluster } from '@redis-cluster-kit/testcontainers';
import { createVitest } from 'vitest/node';

const vitest = await createVitest('test', {
  config: new URL('./vitest.config.mts', import.meta.url).pathname,
  watch: true,
  reporters: ['dot'],
});
const failed = () => vitest.state.getFiles().filter((f) => f.result?.state === 'fail').length;
let result;
try {
  await vitest.start();
  const first = { files: vitest.state.getFiles().length, failed: failed() };
  const info = vitest.projects[0].getProvidedContext().redisCluster;
  const outside = await connectToCluster(info);
  await outside.cluster.set('left-by-the-first-run', '1');
  await vitest.rerunFiles();
  const rerun = { files: vitest.state.getFiles().length, failed: failed() };
  const keyAfterRerun = await outside.cluster.exists('left-by-the-first-run');
  await outside.stop();
  result = { first, rerun, keyAfterRerun, cluster: info.id };
} finally {
  // Closing ends watch mode and runs the globalSetup's teardown (the cluster is stopped).
  await vitest.close();
}
console.log(JSON.stringify(result));
