import zlib from "node:zlib";

/**
 * CRC-32 (the zlib/PNG polynomial) of `data` (a string as UTF-8): zlib's where Node has it
 * (20.15+), else a table in JavaScript, so the two agree and a file written by one reads with the other.
 */
export const crc32: (data: string | Uint8Array) => number =
  (zlib as { crc32?: (data: string | Uint8Array) => number }).crc32 ??
  ((data) => crc32Js(typeof data === "string" ? Buffer.from(data) : data));

let table: Uint32Array | undefined;

export function crc32Js(bytes: Uint8Array): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of bytes) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
