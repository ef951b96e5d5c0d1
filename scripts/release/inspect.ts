// Reads what a built executable is from its headers: format, machine, whether the SEA fuse was
// flipped, where its code signature is. Enough to check a file we cannot run here.
import { createHash } from 'node:crypto';
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

/**
 * Checks a Mach-O's code signature the way the kernel does when it pages code in: the CodeDirectory's
 * hash of every page up to its code limit must match the file. Returns what is wrong, or [] if
 * nothing is. (rcodesign's own `verify` expects a CMS signature and fails on ad-hoc ones.)
 */
export function checkMachoCodeDirectory(b: Buffer): { problems: string[]; flags: number; identifier: string; pages: number } {
  let off = 32;
  let sig: { dataoff: number; datasize: number } | undefined;
  for (let i = 0, n = b.readUInt32LE(16); i < n; i++) {
    if (b.readUInt32LE(off) === 0x1d) sig = { dataoff: b.readUInt32LE(off + 8), datasize: b.readUInt32LE(off + 12) };
    off += b.readUInt32LE(off + 4);
  }
  if (!sig) return { problems: ['no LC_CODE_SIGNATURE'], flags: 0, identifier: '', pages: 0 };
  const sb = sig.dataoff;
  if (b.readUInt32BE(sb) !== 0xfade0cc0) return { problems: ['no code signature superblob'], flags: 0, identifier: '', pages: 0 };
  let cd = -1;
  for (let i = 0, n = b.readUInt32BE(sb + 8); i < n; i++) {
    const at = sb + b.readUInt32BE(sb + 12 + i * 8 + 4);
    if (b.readUInt32BE(at) === 0xfade0c02 && cd < 0) cd = at;
  }
  if (cd < 0) return { problems: ['no CodeDirectory'], flags: 0, identifier: '', pages: 0 };
  const flags = b.readUInt32BE(cd + 12);
  const hashOffset = b.readUInt32BE(cd + 16);
  const identOffset = b.readUInt32BE(cd + 20);
  const nCodeSlots = b.readUInt32BE(cd + 28);
  const codeLimit = b.readUInt32BE(cd + 32);
  const hashSize = b.readUInt8(cd + 36);
  const hashType = b.readUInt8(cd + 37);
  const pageSize = 2 ** b.readUInt8(cd + 39);
  const identifier = b.toString('latin1', cd + identOffset, b.indexOf(0, cd + identOffset));
  const problems: string[] = [];
  if (hashType !== 2 || hashSize !== 32) problems.push(`hash type ${hashType}, expected SHA-256`);
  if (codeLimit !== sig.dataoff) problems.push(`code limit ${codeLimit} is not where the signature starts (${sig.dataoff})`);
  if (nCodeSlots !== Math.ceil(codeLimit / pageSize)) problems.push(`${nCodeSlots} code slots for ${codeLimit} bytes`);
  for (let i = 0; i < nCodeSlots && problems.length < 5; i++) {
    const page = b.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit));
    const want = b.subarray(cd + hashOffset + i * hashSize, cd + hashOffset + (i + 1) * hashSize);
    if (!createHash('sha256').update(page).digest().equals(want)) problems.push(`page ${i} does not match its hash`);
  }
  return { problems, flags, identifier, pages: nCodeSlots };
}
