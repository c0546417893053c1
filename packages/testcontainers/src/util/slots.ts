import { SLOT_COUNT } from '@redis-cluster-kit/plan';

// CRC16-CCITT (XModem), the checksum Redis Cluster hashes keys with (src/crc16.c).
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

export function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/** The hash slot of a key, hash tags (`{...}`) included, exactly as Redis computes it. */
export function keyHashSlot(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOT_COUNT;
  }
  return crc16(bytes) % SLOT_COUNT;
}

const tagCache = new Map<number, string>();

/**
 * A short hash tag whose slot is `slot`: every key containing `{tag}` lands there.
 * Found by search (a few thousand CRCs at most) and cached.
 */
export function hashTagForSlot(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) {
    throw new RangeError(`Slot ${slot} does not exist: slots are 0 to ${SLOT_COUNT - 1}`);
  }
  const cached = tagCache.get(slot);
  if (cached !== undefined) return cached;
  for (let n = 0; ; n++) {
    const tag = n.toString(36);
    const s = crc16(Buffer.from(tag)) % SLOT_COUNT;
    if (!tagCache.has(s)) tagCache.set(s, tag);
    if (s === slot) return tag;
  }
}

/** A key in `slot`: `{tag}` followed by `suffix` (e.g. `keyForSlot(0, ':user')` is `"{3560}:user"`). */
export function keyForSlot(slot: number, suffix = ''): string {
  return `{${hashTagForSlot(slot)}}${suffix}`;
}
