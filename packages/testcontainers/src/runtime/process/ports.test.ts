import { createServer } from 'node:net';
import {
  allowedBases,
  blockRanges,
  chooseFreeBlock,
  pickBase,
  portFree,
  PROCESS_BUS_PORT_OFFSET,
  PROCESS_CLIENT_PORTS,
  type PortRange,
} from './ports';

describe('port blocks of the process runtime', () => {
  it('are client ports from 12000-21999 and bus ports 10000 above, all below the ephemeral range (32768)', () => {
    expect(PROCESS_CLIENT_PORTS).toEqual({ start: 12000, end: 21999 });
    expect(PROCESS_BUS_PORT_OFFSET).toBe(10000);
    expect(PROCESS_CLIENT_PORTS.end + PROCESS_BUS_PORT_OFFSET).toBeLessThan(32768);
    expect(blockRanges(15000, 6)).toEqual([
      { start: 15000, end: 15005 },
      { start: 25000, end: 25005 },
    ]);
  });

  it('start where neither the client nor the bus ports overlap a reserved range', () => {
    const within = { start: 100, end: 199 };
    expect(allowedBases(10, [], within, 1000)).toEqual([{ start: 100, end: 190 }]);
    // Client ports 120-129 are held: a block of 10 may not start at 111-129.
    expect(allowedBases(10, [{ start: 120, end: 129 }], within, 1000)).toEqual([
      { start: 100, end: 110 },
      { start: 130, end: 190 },
    ]);
    // A held bus port 1150 forbids client blocks whose bus block holds it: bases 141-150.
    expect(allowedBases(10, [{ start: 1150, end: 1150 }], within, 1000)).toEqual([
      { start: 100, end: 140 },
      { start: 151, end: 190 },
    ]);
    expect(allowedBases(10, [{ start: 0, end: 65535 }], within, 1000)).toEqual([]);
    expect(allowedBases(200, [], within, 1000)).toEqual([]);
  });

  it('are drawn evenly from what is allowed, and never overlap what is reserved', () => {
    const reserved: PortRange[] = [
      { start: 12000, end: 15000 },
      { start: 26000, end: 31999 },
    ];
    expect(pickBase(6, reserved, () => 0)).toBe(15001);
    expect(pickBase(6, reserved, () => 0.999999)).toBe(15999 - 5);
    for (let i = 0; i < 200; i++) {
      const base = pickBase(6, reserved)!;
      for (const block of blockRanges(base, 6)) {
        for (const r of reserved) expect(block.end < r.start || block.start > r.end).toBe(true);
      }
    }
    expect(pickBase(6, [{ start: 0, end: 65535 }])).toBeUndefined();
  });

  it('skip blocks with a taken port, reserving each candidate while it is probed', async () => {
    const taken = new Set([12000, 22001]);
    const reservedNow: PortRange[][] = [];
    const probed: number[] = [];
    let draws = 0;
    const base = await chooseFreeBlock({
      count: 3,
      reserved: () => reservedNow.flat(),
      reserve: (r) => reservedNow.push(r),
      release: (r) => reservedNow.splice(reservedNow.indexOf(r), 1),
      isFree: (port) => {
        probed.push(port);
        return Promise.resolve(!taken.has(port));
      },
      // First draw: base 12000 (its client port 12000 is taken); second: the lowest base left,
      // 12001, whose bus ports 22001-22003 hold a taken one; third: the middle, all free.
      random: () => [0, 0, 0.5][draws++] ?? 0.5,
    });
    expect(taken.has(base)).toBe(false);
    expect(blockRanges(base, 3).some((r) => [...taken].some((p) => p >= r.start && p <= r.end))).toBe(false);
    expect(reservedNow).toEqual([blockRanges(base, 3)]);
    expect(probed).toEqual(expect.arrayContaining([12000, 22001]));
    expect(base).not.toBe(12001);
  });

  it('fail with what was looked for when no block is free', async () => {
    await expect(
      chooseFreeBlock({
        count: 3,
        reserved: () => [],
        reserve: () => undefined,
        release: () => undefined,
        isFree: () => Promise.resolve(false),
        random: () => 0.5,
      }),
    ).rejects.toThrow(
      /^No block of 3 free client ports in 12000-21999 with free bus ports 10000 above them on 127\.0\.0\.1 \(\d+ ports found taken\): free some, or give basePort$/,
    );
  });

  it('probe a port by binding it on 127.0.0.1', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await portFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await portFree(port)).toBe(true);
  });
});
