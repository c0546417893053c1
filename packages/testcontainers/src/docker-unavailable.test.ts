// No daemon is needed to see what a user without one meets: the runtime lookup is made to fail
// the way Testcontainers fails when no strategy finds a daemon.
jest.mock('testcontainers', () => ({
  ...jest.requireActual<object>('testcontainers'),
  getContainerRuntimeClient: jest.fn(() =>
    Promise.reject(new Error('Could not find a working container runtime strategy')),
  ),
}));

import { DockerUnavailableError, InvalidOptionError, startRedisCluster } from './index';
import { describeDockerHost } from './runtime/docker/docker';

describe('without a reachable Docker daemon', () => {
  it('rejects with DockerUnavailableError naming DOCKER_HOST and how to start Docker', async () => {
    const error = await startRedisCluster({ masters: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('Cannot reach a Docker daemon at ');
    expect(message).toContain('Could not find a working container runtime strategy');
    expect(message).toContain('DOCKER_HOST');
    expect(message).toContain('Start Docker');
    expect(message).not.toContain('\n');
  });

  it('refuses a network with runtime "auto" instead of falling back to processes that no container reaches', async () => {
    const error = await startRedisCluster({ runtime: 'auto', network: 'app-net', masters: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^Invalid option network "app-net"\. Expected no network when runtime "auto" finds no Docker daemon \(.*Could not find a working container runtime strategy\): the process runtime's nodes listen on 127\.0\.0\.1, which no container reaches; start Docker, or leave network out\.$/,
    );
    expect(message).not.toContain('\n');
  });

  it('names the daemon it looked for', () => {
    expect(describeDockerHost({})).toBe('unix:///var/run/docker.sock (DOCKER_HOST is not set)');
    expect(describeDockerHost({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toBe('DOCKER_HOST=tcp://127.0.0.1:2375');
  });
});
