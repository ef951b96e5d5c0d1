// Reads what a built executable is from its headers: format, machine, whether the SEA fuse was
// flipped, where its code signature is. Enough to check a file we cannot run here.
import type { Arch } from './targets.js';

export interface Inspection {
  format: 'elf' | 'macho' | 'pe' | 'unknown';
  arch: Arch | 'other';
  /** Node looks for an injected blob only when postject flipped this fuse to ":1". */
  seaFuseFlipped: boolean;
  /** Mach-O: a segment named NODE_SEA; elsewhere not applicable. */
  machoSeaSegment?: boolean;
  /** Mach-O: LC_CODE_SIGNATURE present; PE: an Authenticode certificate table. */
  signed: boolean;
}

const ELF_MACHINES: Record<number, Arch> = { 0x3e: 'amd64', 0xb7: 'arm64' };
const MACHO_CPUS: Record<number, Arch> = { 0x01000007: 'amd64', 0x0100000c: 'arm64' };
const PE_MACHINES: Record<number, Arch> = { 0x8664: 'amd64', 0xaa64: 'arm64' };

export function inspectExecutable(b: Buffer, fuse: string): Inspection {
  const seaFuseFlipped = b.includes(`${fuse}:1`);
  if (b.readUInt32BE(0) === 0x7f454c46) return { format: 'elf', arch: ELF_MACHINES[b.readUInt16LE(0x12)] ?? 'other', seaFuseFlipped, signed: false };
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    let off = 32;
    let machoSeaSegment = false;
    let signed = false;
    for (let i = 0, n = b.readUInt32LE(16); i < n; i++) {
      const cmd = b.readUInt32LE(off);
      if (cmd === 0x19 && b.toString('latin1', off + 8, off + 24).replace(/\0+$/, '') === 'NODE_SEA') machoSeaSegment = true;
      if (cmd === 0x1d) signed = true;
      off += b.readUInt32LE(off + 4);
    }
    return { format: 'macho', arch: MACHO_CPUS[b.readUInt32LE(4)] ?? 'other', seaFuseFlipped, machoSeaSegment, signed };
  }
  if (b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (b.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const opt = pe + 24;
      const dataDirs = opt + (b.readUInt16LE(opt) === 0x20b ? 112 : 96);
      const certificateTableSize = b.readUInt32LE(dataDirs + 8 * 4 + 4);
      return { format: 'pe', arch: PE_MACHINES[b.readUInt16LE(pe + 4)] ?? 'other', seaFuseFlipped, signed: certificateTableSize > 0 };
    }
  }
  return { format: 'unknown', arch: 'other', seaFuseFlipped, signed: false };
}
