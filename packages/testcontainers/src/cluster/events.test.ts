import { EventEmitter } from 'node:events';
import type { Cluster } from 'ioredis';
import { recordEvents } from './events';

/** Enough of an ioredis Cluster for the recorder: an emitter with nodes(). */
function fakeCluster(nodes: EventEmitter[] = []): Cluster & EventEmitter {
  const cluster = new EventEmitter() as Cluster & EventEmitter;
  (cluster as unknown as { nodes: () => EventEmitter[] }).nodes = () => nodes;
  return cluster;
}

function fakeNode(port: number): EventEmitter {
  return Object.assign(new EventEmitter(), { options: { host: '127.0.0.1', port } });
}

describe('recordEvents', () => {
  it('records cluster events in order with their node, name and error message', () => {
    const cluster = fakeCluster();
    const recording = recordEvents(cluster, {
      nodeName: (a) => (a === '127.0.0.1:32001' ? 'redis-node-1' : undefined),
    });
    const node = fakeNode(32001);
    cluster.emit('-node', node, '127.0.0.1:32001');
    cluster.emit('node error', new Error('connect ECONNREFUSED'), '127.0.0.1:32001');
    cluster.emit('close');
    cluster.emit('reconnecting');
    cluster.emit('error', new Error('Failed to refresh slots cache.'));
    cluster.emit('+node', fakeNode(32009));
    expect(recording.names()).toEqual(['-node', 'node error', 'close', 'reconnecting', 'error', '+node']);
    expect(recording.events[0]).toMatchObject({
      name: '-node',
      address: '127.0.0.1:32001',
      node: 'redis-node-1',
      detail: '',
    });
    expect(recording.events[1]).toMatchObject({
      name: 'node error',
      node: 'redis-node-1',
      detail: 'connect ECONNREFUSED',
    });
    expect(recording.events[5]!.node).toBeUndefined();
    expect(recording.names((e) => e.node === 'redis-node-1')).toEqual(['-node', 'node error']);
    expect(recording.describe().split('\n')[0]).toMatch(/^\+\d+ms -node 127\.0\.0\.1:32001 \(redis-node-1\)$/);
    recording.stop();
    cluster.emit('end');
    expect(recording.names()).not.toContain('end');
    expect(cluster.listenerCount('end')).toBe(0);
  });

  it('waitFor() resolves in order: each call looks after the event the previous one returned', async () => {
    const cluster = fakeCluster();
    const recording = recordEvents(cluster);
    cluster.emit('close');
    cluster.emit('reconnecting');
    cluster.emit('close');
    await expect(recording.waitFor('reconnecting')).resolves.toMatchObject({ name: 'reconnecting' });
    const next = recording.waitFor('ready');
    cluster.emit('connect');
    cluster.emit('ready');
    await expect(next).resolves.toMatchObject({ name: 'ready' });
    // 'close' before 'ready' does not count any more.
    await expect(recording.waitFor('close', { timeoutMs: 20 })).rejects.toThrow(
      'No "close" event within 20 ms after "ready"; events since: none',
    );
    recording.stop();
  });

  it('waitFor() filters with where, and times out naming what it saw', async () => {
    const cluster = fakeCluster();
    const recording = recordEvents(cluster);
    cluster.emit('+node', fakeNode(32001));
    const waiting = recording.waitFor('+node', { where: (e) => e.address === '127.0.0.1:32002', timeoutMs: 30 });
    await expect(waiting).rejects.toThrow(
      /^No "\+node" event matching the condition within 30 ms; events since: \n\+\d+ms \+node 127\.0\.0\.1:32001$/,
    );
    recording.stop();
  });

  it('stop() rejects pending waits', async () => {
    const recording = recordEvents(fakeCluster());
    const waiting = recording.waitFor('ready');
    recording.stop();
    await expect(waiting).rejects.toThrow('The event recording was stopped');
    await expect(recording.waitFor('ready')).rejects.toThrow('Cannot wait for "ready": the recording is stopped');
  });

  it('with nodeEvents, also records each node connection’s connect, close and end (existing and new nodes)', () => {
    const existing = fakeNode(32001);
    const cluster = fakeCluster([existing]);
    const recording = recordEvents(cluster, { nodeEvents: true });
    existing.emit('close');
    const added = fakeNode(32002);
    cluster.emit('+node', added);
    added.emit('connect');
    added.emit('end');
    expect(recording.names()).toEqual(['node close', '+node', 'node connect', 'node end']);
    expect(recording.events.map((e) => e.address)).toEqual([
      '127.0.0.1:32001',
      '127.0.0.1:32002',
      '127.0.0.1:32002',
      '127.0.0.1:32002',
    ]);
    recording.stop();
    expect(added.listenerCount('close')).toBe(0);
  });
});
