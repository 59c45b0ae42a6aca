import { crc32, deflateSync } from 'node:zlib';

/**
 * Tiny but complete images, built byte by byte, for the avatar tests: each decodes in a browser as
 * one pixel (checked once in Debian's chromium). Built rather than checked in, so that a reader
 * can see what every byte is.
 */

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  return Buffer.concat([u32(data.length), typed, u32(crc32(typed))]);
}

/** A 1x1 PNG: one grey pixel (8-bit greyscale). */
export function pngImage(grey = 0x80): Buffer {
  const header = Buffer.concat([u32(1), u32(1), Buffer.from([8, 0, 0, 0, 0])]); // depth 8, greyscale, deflate, no filter/interlace
  const scanline = Buffer.from([0, grey]); // filter type 0, then the pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanline)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A PNG of `width` × `height` black pixels at one bit each: a few kilobytes of file that declare
 * (and would decode to) hundreds of megabytes, as a decompression bomb does. Built here because
 * nothing that refuses to decode it (sharp included) would encode it.
 */
export function pngOfOneColour(width: number, height: number): Buffer {
  const header = Buffer.concat([u32(width), u32(height), Buffer.from([1, 0, 0, 0, 0])]); // depth 1, greyscale
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // each row: filter type 0, then zero bits
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];

/**
 * A 1x1 baseline JPEG, greyscale: quantisation all ones, and Huffman tables of one code each (DC
 * difference category 0, AC end-of-block), so the whole scan is two 0 bits padded with 1s: 0x3f.
 */
export function jpegImage(): Buffer {
  const oneCodeOfLength1 = [1, ...Array(15).fill(0)];
  return Buffer.from([
    0xff, 0xd8, // SOI
    ...segment(0xdb, [0x00, ...Array(64).fill(1)]), // DQT table 0
    ...segment(0xc0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]), // SOF0: 8 bit, 1x1, one component, table 0
    ...segment(0xc4, [0x00, ...oneCodeOfLength1, 0x00]), // DHT DC 0: category 0
    ...segment(0xc4, [0x10, ...oneCodeOfLength1, 0x00]), // DHT AC 0: end of block
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]), // SOS
    0x3f,
    0xff, 0xd9, // EOI
  ]);
}

/** Bits least significant first, as VP8L reads them. */
class BitWriter {
  private readonly bytes: number[] = [];
  private used = 0;
  write(value: number, count: number): this {
    for (let i = 0; i < count; i++) {
      if (this.used % 8 === 0) this.bytes.push(0);
      this.bytes[this.bytes.length - 1]! |= ((value >> i) & 1) << this.used % 8;
      this.used++;
    }
    return this;
  }
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/**
 * A 1x1 lossless WebP (VP8L): no transforms, no colour cache, and five "simple" prefix codes of one
 * symbol each (green, red, blue, alpha, distance), which take no bits to read: the pixel is them.
 */
export function webpImage(argb: [number, number, number, number] = [255, 255, 0, 0]): Buffer {
  const [a, r, g, b] = argb;
  const oneSymbol = (bits: BitWriter, symbol: number) => bits.write(1, 1).write(0, 1).write(1, 1).write(symbol, 8); // simple, 1 symbol, 8-bit
  const bits = new BitWriter();
  bits.write(0, 14).write(0, 14).write(0, 1).write(0, 3); // width-1, height-1, alpha hint, version
  bits.write(0, 1).write(0, 1).write(0, 1); // no transform, no colour cache, no meta prefix codes
  oneSymbol(bits, g);
  oneSymbol(bits, r);
  oneSymbol(bits, b);
  oneSymbol(bits, a);
  oneSymbol(bits, 0);
  const vp8l = Buffer.concat([Buffer.from([0x2f]), bits.toBuffer()]);
  const chunk = Buffer.concat([Buffer.from('VP8L'), Buffer.from([vp8l.length, 0, 0, 0]), vp8l, vp8l.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
  const body = Buffer.concat([Buffer.from('WEBP'), chunk]);
  return Buffer.concat([Buffer.from('RIFF'), Buffer.from([body.length & 0xff, body.length >> 8, 0, 0]), body]);
}

/** A 1x1 GIF: a well-formed image of a type avatars refuse. */
export function gifImage(): Buffer {
  return Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
}

export const SVG_IMAGE = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(1)</script></svg>');
export const HTML_PAGE = Buffer.from('<!doctype html><html><body><script>fetch("/trpc/auth.user")</script></body></html>');
