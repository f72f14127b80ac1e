// The cluster's certificates in the server's data dir (pki/), made on first start: the CA, the
// server's certificate for its listen addresses, and the server's client certificate for calling
// agents. Files are written mode 0600 (keys) and kept across restarts; `drover cert rotate`
// renews the server certificate and keeps the CA, so every issued credential stays valid.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCertificate, type KeyPair } from './pki.js';
import { ADMINISTRATORS_GROUP, SERVER_USER } from './principal.js';

/** Days a server or client certificate is valid (the CA: ten years). */
export const CERT_DAYS = 365;

export interface ClusterPki {
  dir: string;
  ca: KeyPair;
  /** The API server's certificate (serverAuth). */
  server: KeyPair;
  /** The server's client certificate for the agents' API (CN system:server). */
  serverClient: KeyPair;
}

export function pkiDir(dataDir: string): string {
  return join(dataDir, 'pki');
}

/** Loads the cluster's certificates, making whatever is missing. */
export async function ensureClusterPki(dataDir: string, sans: string[]): Promise<ClusterPki> {
  const dir = pkiDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = readPair(dir, 'ca') ?? writePair(dir, 'ca', await createCa(`drover-ca@${hostname()}`));
  const server = readPair(dir, 'server') ?? writePair(dir, 'server', await serverCertificate(ca, sans));
  const serverClient =
    readPair(dir, 'server-client') ??
    writePair(dir, 'server-client', await issueCertificate(ca, { commonName: SERVER_USER, organizations: [ADMINISTRATORS_GROUP], usage: 'client', days: CERT_DAYS }));
  return { dir, ca, server, serverClient };
}

/** A new server certificate from the existing CA (`drover cert rotate`). */
export async function rotateServerCertificate(dataDir: string, sans: string[]): Promise<KeyPair> {
  const dir = pkiDir(dataDir);
  const ca = readPair(dir, 'ca');
  if (!ca) throw new Error(`no cluster CA in ${dir}: start drover server with --data ${dataDir} once first`);
  return writePair(dir, 'server', await serverCertificate(ca, sans));
}

/** The CA of the cluster whose server keeps its data in `dataDir`. */
export function readCa(dataDir: string): KeyPair | undefined {
  return readPair(pkiDir(dataDir), 'ca');
}

function serverCertificate(ca: KeyPair, sans: string[]): Promise<KeyPair> {
  return issueCertificate(ca, { commonName: 'drover-server', sans: serverSans(sans), usage: 'server', days: CERT_DAYS });
}

/** The names a server certificate covers: loopback, this host's name and addresses, and those given. */
export function serverSans(extra: string[]): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.address.startsWith('fe80'))
    .map((a) => a!.address);
  return [...new Set(['localhost', '127.0.0.1', '::1', hostname(), ...addresses, ...extra.filter((s) => s && s !== '0.0.0.0' && s !== '::')])];
}

function readPair(dir: string, name: string): KeyPair | undefined {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(cert) || !existsSync(key)) return undefined;
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

function writePair(dir: string, name: string, pair: KeyPair): KeyPair {
  writeAtomic(join(dir, `${name}.key`), pair.key, 0o600);
  writeAtomic(join(dir, `${name}.crt`), pair.cert, 0o644);
  return pair;
}

/** Writes a file whole or not at all, with its mode from the start (a key is never readable by others, even briefly). */
export function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}
