// A CycloneDX 1.5 SBOM of what the release ships, from package-lock.json: the npm packages bundled into
// the scripts (the lockfile's non-dev packages) and the Node.js binaries built into the executables.
// Deterministic: no timestamp; the serial number is derived from the content.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import type { NodePackage } from './targets.js';

interface LockPackage {
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  dev?: boolean;
  optional?: boolean;
}

const purl = (name: string, version: string) => `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;

function hashes(integrity: string | undefined) {
  const m = /^(sha512|sha384|sha256|sha1)-(.+)$/.exec(integrity ?? '');
  if (!m) return undefined;
  const alg = { sha512: 'SHA-512', sha384: 'SHA-384', sha256: 'SHA-256', sha1: 'SHA-1' }[m[1] as 'sha512'];
  return [{ alg, content: Buffer.from(m[2], 'base64').toString('hex') }];
}

export function sbom(nodes: NodePackage[]): Record<string, unknown> {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    name: string;
    version: string;
    packages: Record<string, LockPackage>;
  };
  const seen = new Set<string>();
  const components: Record<string, unknown>[] = [];
  for (const [path, p] of Object.entries(lock.packages)) {
    if (!path || p.dev || !p.version) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const ref = purl(name, p.version);
    if (seen.has(ref)) continue;
    seen.add(ref);
    components.push({
      type: 'library',
      'bom-ref': ref,
      name,
      version: p.version,
      purl: ref,
      ...(p.license ? { licenses: [{ license: { id: p.license } }] } : {}),
      ...(hashes(p.integrity) ? { hashes: hashes(p.integrity) } : {}),
    });
  }
  for (const n of nodes) {
    const ref = purl(n.name, n.version);
    if (seen.has(ref)) continue;
    seen.add(ref);
    components.push({
      type: 'application',
      'bom-ref': ref,
      name: n.name,
      version: n.version,
      purl: ref,
      description: `Node.js ${n.version}, built into the executables`,
      hashes: hashes(n.integrity),
    });
  }
  components.sort((a, b) => String(a['bom-ref']).localeCompare(String(b['bom-ref'])));
  const body = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {
      component: { type: 'application', 'bom-ref': purl(lock.name, lock.version), name: lock.name, version: lock.version, purl: purl(lock.name, lock.version) },
    },
    components,
  };
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const serial = `urn:uuid:${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-8${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  return { ...body, serialNumber: serial };
}
