// Certificates of the cluster CA: the CA itself, server certificates (SANs), and client
// certificates whose subject is the principal (CN = user, O = groups, as in Kubernetes). Node's
// crypto parses certificates but cannot make them: @peculiar/x509 builds and signs them over
// WebCrypto. Keys are ECDSA P-256: generated in a millisecond, and every TLS stack takes them.
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

type X509 = typeof import('@peculiar/x509');
let library: Promise<X509> | undefined;

/**
 * @peculiar/x509, loaded when a certificate is made: loading it takes most of a second on these
 * machines, and an agent or a restarted server reads its certificates without making any.
 */
function x509Library(): Promise<X509> {
  return (library ??= (async () => {
    // It resolves its algorithms through tsyringe, which needs the Reflect metadata API first.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })());
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3_600_000;

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface CertificateRequest {
  commonName: string;
  /** O attributes: the principal's groups for a client certificate. */
  organizations?: string[];
  /** DNS names and IP addresses a server certificate is valid for. */
  sans?: string[];
  usage: 'server' | 'client' | 'server+client';
  days: number;
}

/** A new self-signed cluster CA, valid for `days` (default ten years). */
export async function createCa(commonName: string, days = 3650): Promise<KeyPair> {
  const x509 = await x509Library();
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }],
    notBefore: backdated(),
    notAfter: new Date(Date.now() + days * DAY_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A certificate signed by `ca` for a new key. */
export async function issueCertificate(ca: KeyPair, req: CertificateRequest): Promise<KeyPair> {
  const x509 = await x509Library();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(ca.key), EC, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const usages = [
    ...(req.usage.includes('server') ? [x509.ExtendedKeyUsage.serverAuth] : []),
    ...(req.usage.includes('client') ? [x509.ExtendedKeyUsage.clientAuth] : []),
  ];
  const subject: Record<string, string[]>[] = [{ CN: [req.commonName] }];
  if (req.organizations?.length) subject.push({ O: req.organizations });
  const extensions: InstanceType<X509['Extension']>[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (req.sans?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(req.sans.map((s) => (isIP(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }))));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subjectName,
    notBefore: backdated(),
    notAfter: new Date(Date.now() + req.days * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** Whether `certPem` was signed by `caPem` and is valid now. */
export function isSignedBy(certPem: string, caPem: string, now = new Date()): boolean {
  const cert = new X509Certificate(certPem);
  return cert.verify(new X509Certificate(caPem).publicKey) && new Date(cert.validFrom) <= now && now < new Date(cert.validTo);
}

function serial(): string {
  // Positive: the high bit clear, as DER integers in certificates must be.
  const b = randomBytes(16);
  b[0]! &= 0x7f;
  return b.toString('hex');
}

/** A few minutes in the past: a client whose clock is slightly behind still accepts a new certificate. */
function backdated(): Date {
  return new Date(Date.now() - 5 * 60_000);
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
