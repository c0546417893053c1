import { processAlive } from './liveness';

describe('processAlive', () => {
  it('knows this process is alive and a made-up pid is not', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(Number.NaN)).toBe(false);
  });
});
