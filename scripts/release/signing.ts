// Signatures after injection. macOS: the Node binary's Developer ID signature no longer matches once
// postject adds the NODE_SEA segment, and the kernel kills a binary whose signature does not match:
// rcodesign (apple-codesign, a Rust tool installed with cargo) re-signs it ad hoc, as Apple's
// `codesign --sign -` would. Windows: the Authenticode signature is taken off before injection
// (osslsigncode, a Debian package) rather than left broken; we have no certificate to sign with.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { CACHE } from './paths.js';

export const RCODESIGN = { crate: 'apple-codesign', version: '0.29.0' };

/** rcodesign from the release cache, built once with cargo (about 10 minutes on 2 cores). */
export async function rcodesign(log: (m: string) => void): Promise<string> {
  const root = join(CACHE, 'tools', `${RCODESIGN.crate}-${RCODESIGN.version}`);
  const bin = join(root, 'bin', 'rcodesign');
  if (existsSync(bin)) return bin;
  log(`building rcodesign (${RCODESIGN.crate} ${RCODESIGN.version}) with cargo, once`);
  await execa('cargo', ['install', RCODESIGN.crate, '--version', RCODESIGN.version, '--locked', '--no-default-features', '--root', root], {
    stdin: 'ignore',
  });
  return bin;
}

/** Ad-hoc signature (no identity, no certificate): what macOS requires of every arm64 binary and checks on x86_64. */
export async function adhocSign(file: string, log: (m: string) => void): Promise<void> {
  const tool = await rcodesign(log);
  const signed = `${file}.signed`;
  await execa(tool, ['sign', '--binary-identifier', 'kubectl-traffic', file, signed], { stdin: 'ignore' });
  renameSync(signed, file);
}

export async function removeAuthenticode(file: string): Promise<void> {
  const unsigned = `${file}.unsigned`;
  await execa('osslsigncode', ['remove-signature', '-in', file, '-out', unsigned], { stdin: 'ignore' });
  renameSync(unsigned, file);
}
