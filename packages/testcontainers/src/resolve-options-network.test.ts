/** The `network` option (Testcontainers neighbours) as resolve-options reads it: pure, no Docker. */
import { RUNTIME_ENV_VAR } from './options';
import { resolveFixtureOptions } from './resolve-options';

describe('network', () => {
  it("is none by default: the fixture makes a network of the cluster's own", () => {
    expect(resolveFixtureOptions({}, {}).network).toBeUndefined();
  });

  it('takes a name (or id), or anything with getName() such as a Testcontainers StartedNetwork', () => {
    expect(resolveFixtureOptions({ network: 'app_net.1' }, {}).network).toEqual({ name: 'app_net.1', perRun: false });
    expect(resolveFixtureOptions({ network: { getName: () => 'tc-net' } }, {}).network).toEqual({
      name: 'tc-net',
      perRun: true,
    });
  });

  it('is refused on the process runtime whichever way it was chosen, with a one-line reason', () => {
    expect(() => resolveFixtureOptions({ network: 'app-net' }, { [RUNTIME_ENV_VAR]: 'process' })).toThrow(
      'Invalid option network "app-net". Expected no network with REDIS_CLUSTER_RUNTIME "process": its nodes are local redis-server processes listening on 127.0.0.1, which no container reaches',
    );
    // auto may still pick Docker; it is refused at the start when it would fall back to processes.
    expect(resolveFixtureOptions({ runtime: 'auto', network: 'app-net' }, {}).network?.name).toBe('app-net');
  });
});
