import { NetworkFaultsUnavailableError } from '../errors';
import { checkIptables } from './iptables';

describe('checkIptables: a one-line error that says what partitions need', () => {
  afterEach(() => jest.restoreAllMocks());

  it('needs root', async () => {
    jest.spyOn(process, 'getuid').mockReturnValue(1000);
    const error = (await checkIptables(true).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(NetworkFaultsUnavailableError);
    if (process.platform === 'linux') {
      expect(error.message).toBe(
        'Network faults (partitions) need root (iptables rules); this process runs as uid 1000: run the tests as root, as CI does',
      );
    }
    expect(error.message).not.toContain('\n');
  });
});
