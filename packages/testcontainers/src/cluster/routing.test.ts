import { SLOT_COUNT } from '@redis-cluster-kit/plan';
import { keyHashSlot } from '../util/slots';
import { misroutedSlots, routeKey, slotOwnersOf, type SlotOwners } from './routing';
import type { SlotMapEntry } from './replies';

const ref = (id: string, port: number) => ({ id, endpoint: `redis-node-x:${port}` });
const entries: SlotMapEntry[] = [
  { start: 0, end: 5460, master: ref('a', 7101), replicas: [] },
  { start: 5461, end: 10922, master: ref('b', 7102), replicas: [] },
  { start: 10923, end: 16383, master: ref('c', 7103), replicas: [] },
];
const reach = (id: string) =>
  ({ a: { name: 'redis-node-1', address: '127.0.0.1:1' }, b: { name: 'redis-node-2', address: '127.0.0.1:2' } })[id];

describe('slot owners', () => {
  it('name and address every master the fixture reaches, slot by slot; others serve nothing it can route to', () => {
    const owners = slotOwnersOf(entries, reach);
    expect(owners.masters).toEqual([
      { name: 'redis-node-1', address: '127.0.0.1:1', ranges: [{ start: 0, end: 5460 }] },
      { name: 'redis-node-2', address: '127.0.0.1:2', ranges: [{ start: 5461, end: 10922 }] },
    ]);
    expect(owners.bySlot[0]).toBe('127.0.0.1:1');
    expect(owners.bySlot[10922]).toBe('127.0.0.1:2');
    expect(owners.bySlot[10923]).toBeUndefined();
  });
});

describe('misrouted slots', () => {
  const owners: SlotOwners = slotOwnersOf(entries, reach);
  const map = (address: (slot: number) => string | undefined) =>
    Array.from({ length: SLOT_COUNT }, (_, slot) => {
      const a = address(slot);
      return a === undefined ? undefined : [a];
    });

  it('finds nothing when every served slot goes to its owner', () => {
    expect(
      misroutedSlots(
        map((slot) => owners.bySlot[slot]),
        owners,
      ),
    ).toBeUndefined();
  });

  it('names the first range sent elsewhere, where it goes and who serves it', () => {
    // A client that still sends the first shard to the master that was stopped.
    const stale = map((slot) => (slot <= 5460 ? '127.0.0.1:9' : owners.bySlot[slot]));
    expect(misroutedSlots(stale, owners)).toBe(
      'its slot map sends slots 0-5460 to 127.0.0.1:9, but "redis-node-1" (127.0.0.1:1) serves them',
    );
    const moved = map((slot) => (slot === 100 ? '127.0.0.1:2' : owners.bySlot[slot]));
    expect(misroutedSlots(moved, owners)).toBe(
      'its slot map sends slot 100 to 127.0.0.1:2 ("redis-node-2"), but "redis-node-1" (127.0.0.1:1) serves them',
    );
    expect(misroutedSlots([], owners)).toBe(
      'its slot map sends slots 0-5460 to nowhere, but "redis-node-1" (127.0.0.1:1) serves them',
    );
  });
});

describe('the key a client routes with', () => {
  const ranges = [{ start: 5461, end: 10922 }];
  const lands = (prefix: string, key: string | undefined) => {
    const slot = keyHashSlot(prefix + key!);
    return key !== undefined && slot >= 5461 && slot <= 10922;
  };

  it("lands in the master's slots once the keyPrefix is in front, whatever the prefix", () => {
    for (const prefix of ['', 'app:', 'a{b', '{}', 'x}{']) expect(lands(prefix, routeKey(prefix, ranges))).toBe(true);
  });

  it('is none when the prefix has a hash tag of its own that lands elsewhere', () => {
    const inside = ['{a}', '{b}', '{c}', '{d}', '{e}'].find((p) => lands(p, ''))!;
    const outside = ['{a}', '{b}', '{c}', '{d}', '{e}'].find((p) => !lands(p, ''))!;
    expect(routeKey(outside, ranges)).toBeUndefined();
    expect(lands(inside, routeKey(inside, ranges))).toBe(true);
  });
});
