/**
 * Read a ZIP's entries (stored or deflated) through its central directory:
 * enough to check what the page saved, with no unzip tool or library.
 */
import { inflateRawSync } from 'node:zlib'

export interface ZipEntry { name: string, data: Buffer }

export function readZip (zip: Buffer): ZipEntry[] {
  let end = zip.length - 22
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--
  if (end < 0) throw new Error('not a ZIP: no end of central directory')
  let count = zip.readUInt16LE(end + 10)
  let offset = zip.readUInt32LE(end + 16)
  const locator = end - 20
  if ((count === 0xffff || offset === 0xffffffff) && locator >= 0 && zip.readUInt32LE(locator) === 0x07064b50) {
    const end64 = Number(zip.readBigUInt64LE(locator + 8))
    count = Number(zip.readBigUInt64LE(end64 + 32))
    offset = Number(zip.readBigUInt64LE(end64 + 48))
  }
  const entries: ZipEntry[] = []
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('bad central directory entry')
    const method = zip.readUInt16LE(offset + 10)
    let compressed = zip.readUInt32LE(offset + 20)
    const nameLength = zip.readUInt16LE(offset + 28)
    const extraLength = zip.readUInt16LE(offset + 30)
    const commentLength = zip.readUInt16LE(offset + 32)
    let local = zip.readUInt32LE(offset + 42)
    const name = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8')
    // zip64 extra field: sizes and offset that did not fit 32 bits, in this order.
    let extra = offset + 46 + nameLength
    const extraEnd = extra + extraLength
    while (extra + 4 <= extraEnd) {
      const id = zip.readUInt16LE(extra)
      const size = zip.readUInt16LE(extra + 2)
      if (id === 0x0001) {
        let at = extra + 4
        if (zip.readUInt32LE(offset + 24) === 0xffffffff) at += 8
        if (compressed === 0xffffffff) { compressed = Number(zip.readBigUInt64LE(at)); at += 8 }
        if (local === 0xffffffff) local = Number(zip.readBigUInt64LE(at))
      }
      extra += 4 + size
    }
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const raw = zip.subarray(dataStart, dataStart + compressed)
    entries.push({ name, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) })
    offset += 46 + nameLength + extraLength + commentLength
  }
  return entries
}
