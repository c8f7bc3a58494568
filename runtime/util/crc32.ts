import zlib from "node:zlib";

const zlibCrc32 = (zlib as { crc32?: (data: string | Uint8Array) => number }).crc32;

/**
 * CRC-32 (the zlib/PNG polynomial) of `data` (a string as UTF-8): zlib's where Node has it
 * (20.15+), else a table in JavaScript, so the two agree and a file written by one reads with the other.
 */
export const crc32: (data: string | Uint8Array) => number =
  zlibCrc32 ??
  ((data) => {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    return crc32Range(bytes, 0, bytes.length);
  });

/** Up to this many bytes, the table here costs less than a call into zlib with a view made for it. */
const SHORT_RANGE = 256;

let table: Int32Array | undefined;

/** CRC-32 of `bytes[start, end)`. */
export function crc32Range(bytes: Uint8Array, start: number, end: number): number {
  if (end - start > SHORT_RANGE && zlibCrc32) return zlibCrc32(bytes.subarray(start, end));
  table ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = -1;
  for (let i = start; i < end; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
