/**
 * Stopping, starting, pausing and unpausing one node's container (the fault helpers' Docker
 * side). A container that starts again keeps its filesystem (so `nodes.conf` and the node id)
 * but gets a new random host port and maybe a new IP: `start()` reads both back.
 */
import net from 'node:net';
import type Dockerode from 'dockerode';
import type { NodeRuntime } from '../types';

export interface NodeContainer {
  /** Docker's container id. */
  id: string;
  /** The node's client port inside the container (published on a random host port). */
  port: number;
}

/** The {@link NodeRuntime} of a cluster's containers on `networkName`, by node name. */
export function containerNodeRuntime(
  docker: Dockerode,
  networkName: string,
  containers: ReadonlyMap<string, NodeContainer>,
): NodeRuntime {
  const container = (name: string) => {
    const c = containers.get(name);
    if (!c) throw new Error(`No container for node "${name}"`);
    return { handle: docker.getContainer(c.id), port: c.port };
  };
  return {
    async stop(name, timeoutSeconds) {
      await ignoreNotModified(container(name).handle.stop({ t: timeoutSeconds }));
    },
    async start(name) {
      const { handle, port } = container(name);
      await ignoreNotModified(handle.start());
      return publishedAddress(await handle.inspect(), port, networkName, name);
    },
    async pause(name) {
      await container(name).handle.pause();
    },
    async unpause(name) {
      await container(name).handle.unpause();
    },
  };
}

/** The host port `port/tcp` is published on (IPv4 binding first) and the IP on `networkName`. */
export function publishedAddress(
  info: Dockerode.ContainerInspectInfo,
  port: number,
  networkName: string,
  name: string,
): { port: number; internalIp: string } {
  const bindings = info.NetworkSettings.Ports?.[`${port}/tcp`] ?? [];
  const binding = bindings.find((b) => net.isIP(b.HostIp) !== 6) ?? bindings[0];
  const hostPort = Number(binding?.HostPort);
  if (!Number.isInteger(hostPort) || hostPort <= 0) {
    throw new Error(
      `Node "${name}" started, but port ${port}/tcp is not published (bindings: ${JSON.stringify(bindings)})`,
    );
  }
  const internalIp = info.NetworkSettings.Networks?.[networkName]?.IPAddress;
  if (!internalIp) throw new Error(`Node "${name}" started, but has no IP on network "${networkName}"`);
  return { port: hostPort, internalIp };
}

/** Docker answers 304 to stopping a stopped container or starting a running one: nothing to do. */
async function ignoreNotModified(action: Promise<unknown>): Promise<void> {
  try {
    await action;
  } catch (err) {
    if (typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 304) return;
    throw err;
  }
}
