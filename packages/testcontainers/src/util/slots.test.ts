import { crc16, hashTagForSlot, keyForSlot, keyHashSlot } from './slots';

describe('key hash slots', () => {
  it('match the values Redis documents', () => {
    // CRC16 check value of the XModem variant, and CLUSTER KEYSLOT answers of Redis.
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keyHashSlot('foo')).toBe(12182);
    expect(keyHashSlot('bar')).toBe(5061);
    expect(keyHashSlot('hello')).toBe(866);
  });

  it('honour hash tags like Redis: first {...} with something inside', () => {
    expect(keyHashSlot('{user1000}.following')).toBe(keyHashSlot('{user1000}.followers'));
    expect(keyHashSlot('{user1000}.following')).toBe(keyHashSlot('user1000'));
    expect(keyHashSlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) % 16384);
    expect(keyHashSlot('foo{{bar}}zap')).toBe(keyHashSlot('{bar'));
    expect(keyHashSlot('foo{bar}{zap}')).toBe(keyHashSlot('bar'));
  });

  it('keyForSlot() gives a key in every one of the 16384 slots', () => {
    for (let slot = 0; slot < 16384; slot++) {
      expect(keyHashSlot(keyForSlot(slot, ':x'))).toBe(slot);
    }
    expect(keyForSlot(0)).toBe(`{${hashTagForSlot(0)}}`);
  });

  it('refuses slots that do not exist', () => {
    expect(() => hashTagForSlot(16384)).toThrow('Slot 16384 does not exist: slots are 0 to 16383');
    expect(() => hashTagForSlot(-1)).toThrow(RangeError);
  });
});
