/**
 * A network the user started (`startRedisCluster({ network })`): found and checked before
 * anything starts (it exists, containers on it have names, the test process can reach published
 * ports), and checked again before nodes join it that no container there already answers to a
 * node's name. The fixture never removes it.
 */
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import type { ContainerRuntimeClient } from 'testcontainers';
import { dockerode } from './docker';

/** The user's network as the daemon knows it. */
export interface UserNetwork {
  id: string;
  /** Its name (the option may have given its id). */
  name: string;
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

/**
 * The network `given` (a name or id), or an InvalidOptionError (one line) when it does not exist,
 * is Docker's default bridge, has a driver without container names (`host`, `null`), or is internal.
 */
export async function findUserNetwork(client: ContainerRuntimeClient, given: string): Promise<UserNetwork> {
  let info: { Id: string; Name: string; Driver: string; Internal?: boolean; Options?: Record<string, string> };
  try {
    info = await dockerode(client).getNetwork(given).inspect();
  } catch (err) {
    if (statusOf(err) === 404) {
      throw new InvalidOptionError(
        'network',
        given,
        'a Docker network that exists (docker network ls): start it before the cluster, e.g. await new Network().start() or docker network create',
      );
    }
    throw err;
  }
  const refuse = (why: string) => new InvalidOptionError('network', given, `a user-defined bridge network; ${why}`);
  if (info.Options?.['com.docker.network.bridge.default_bridge'] === 'true' || ['host', 'null'].includes(info.Driver)) {
    throw refuse(
      `"${info.Name}" is Docker's own (driver ${info.Driver}), where containers have no names to reach each other by`,
    );
  }
  if (info.Internal === true) {
    throw refuse(
      `"${info.Name}" is internal, so the nodes' published ports, through which the test process reaches them, do not work`,
    );
  }
  return { id: info.Id, name: info.Name };
}

/**
 * Refuse (one line, naming `namePrefix`) when a container on the network already answers to one of
 * `names`: its name or one of its aliases there. Two nodes with one name would each get half of the
 * lookups, and clients would follow redirections to the wrong cluster.
 */
export async function assertNamesFree(
  client: ContainerRuntimeClient,
  network: UserNetwork,
  names: readonly string[],
  namePrefix: string,
): Promise<void> {
  const docker = dockerode(client);
  const attached = Object.keys((await docker.getNetwork(network.id).inspect()).Containers ?? {});
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  for (const id of attached) {
    let info;
    try {
      info = await docker.getContainer(id).inspect();
    } catch (err) {
      if (statusOf(err) === 404) continue; // removed meanwhile
      throw err;
    }
    const endpoint = info.NetworkSettings.Networks?.[network.name] as
      { Aliases?: string[] | null; DNSNames?: string[] | null } | undefined;
    const answersTo = [info.Name.replace(/^\//, ''), ...(endpoint?.Aliases ?? []), ...(endpoint?.DNSNames ?? [])];
    const taken = answersTo.find((n) => wanted.has(n.toLowerCase()));
    if (taken !== undefined) {
      throw new InvalidOptionError(
        'namePrefix',
        namePrefix,
        `a prefix whose node names are free on network "${network.name}": container "${info.Name.replace(/^\//, '')}" there already answers to "${taken}"; give each cluster on one network a namePrefix of its own (e.g. namePrefix: "orders-redis")`,
      );
    }
  }
}
