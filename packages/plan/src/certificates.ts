/**
 * Certificates for a TLS cluster, made in memory (no files, no `openssl` process): a CA of the
 * cluster's own, one certificate per node naming it, and a client certificate. node-forge encodes
 * the X.509 structure; the keys (ECDSA P-256) are made and the certificates signed by Node's own
 * crypto (OpenSSL), so that nothing slow runs in JavaScript. The fixture and the generator both use it.
 * Also the check of certificates a user brings ({@link certificateProblem}), with Node's X509Certificate.
 */
import { createPrivateKey, generateKeyPair, sign, X509Certificate, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A certificate and its private key, PEM. */
export interface CertifiedKey {
  cert: string;
  key: string;
}

/** What a client of a TLS cluster needs: the CA's certificate, and a client certificate and key it may present. PEM strings. */
export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** A TLS cluster's certificates. */
export interface ClusterCertificates {
  /** The CA's certificate (PEM). Its key is not kept. */
  ca: string;
  /** Node name to its certificate (names: the node's name, `localhost`, `127.0.0.1`) and key. */
  nodes: Map<string, CertifiedKey>;
  /** A client certificate (`clientAuth`) signed by the same CA, for clients that present one. */
  client: CertifiedKey;
}

export interface CertificateOptions {
  /** How long the certificates are valid. @default 365 */
  days?: number;
  /** Names the CA's subject: `redis-cluster-kit CA <label>`. @default a random hex id */
  label?: string;
}

/** The names every node certificate carries besides the node's own: what host clients connect to. */
export const LOCAL_NAMES: readonly string[] = Object.freeze(['localhost', '127.0.0.1']);

const IP = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const newKeyPair = promisify(generateKeyPair);

/** Make a CA, a certificate for every node (its name, `localhost`, `127.0.0.1`) and a client certificate. */
export async function createClusterCertificates(
  nodeNames: readonly string[],
  options: CertificateOptions = {},
): Promise<ClusterCertificates> {
  const days = options.days ?? 365;
  const label = options.label ?? randomBytes(6).toString('hex');
  const nodeKeyCount = nodeNames.length;
  // ECDSA P-256 keys: a fraction of a millisecond each (an RSA key takes ~0.1 s, and seconds on a busy machine).
  const [caKeys, clientKeys, ...nodeKeys] = await Promise.all(
    Array.from({ length: 2 + nodeKeyCount }, () => newKeyPair('ec', { namedCurve: 'P-256' })),
  );
  const notBefore = new Date(Date.now() - 60 * 60_000); // an hour back: clocks of containers and hosts differ a little
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  const caSubject = [{ name: 'commonName', value: `redis-cluster-kit CA ${label}` }];
  const ca = certificate({
    subject: caSubject,
    issuer: caSubject,
    publicKey: caKeys!.publicKey,
    signingKey: caKeys!.privateKey,
    notBefore,
    notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = (commonName: string, names: readonly string[], keys: KeyPair, usage: 'server' | 'client') =>
    certificate({
      subject: [{ name: 'commonName', value: commonName }],
      issuer: caSubject,
      publicKey: keys.publicKey,
      signingKey: caKeys!.privateKey,
      notBefore,
      notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        // Nodes are servers to clients and clients to each other (cluster bus, replication).
        { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: true },
        ...(names.length > 0
          ? [
              {
                name: 'subjectAltName',
                altNames: names.map((n) => (IP.test(n) ? { type: 7, ip: n } : { type: 2, value: n })),
              },
            ]
          : []),
      ],
    });
  const nodes = new Map<string, CertifiedKey>();
  nodeNames.forEach((name, i) => {
    const keys = nodeKeys[i]!;
    nodes.set(name, { cert: leaf(name, [name, ...LOCAL_NAMES], keys, 'server'), key: pemKey(keys) });
  });
  return {
    ca,
    nodes,
    client: { cert: leaf('redis-cluster-kit client', [], clientKeys!, 'client'), key: pemKey(clientKeys!) },
  };
}

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };

function pemKey(keys: KeyPair): string {
  return keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

interface CertificateSpec {
  subject: forge.pki.CertificateField[];
  issuer: forge.pki.CertificateField[];
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}

/**
 * One certificate, ECDSA P-256 signed with SHA-256: node-forge encodes the structure (names,
 * validity, extensions: the parts easy to get wrong); the subject's public key and the
 * signature are Node's. node-forge knows RSA keys only, so its to-be-signed structure is made
 * with a stand-in RSA key (never used), whose place is then taken by the real key's
 * SubjectPublicKeyInfo, and the algorithm is set to ecdsa-with-SHA256 (no parameters, RFC 5758).
 */
function certificate(spec: CertificateSpec): string {
  const { asn1, pki } = forge;
  const cert = pki.createCertificate();
  cert.publicKey = STAND_IN_KEY;
  // A positive 16-byte serial (the leading byte kept below 0x80).
  cert.serialNumber = `0${randomBytes(16).toString('hex').slice(1)}`;
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.issuer);
  cert.setExtensions(spec.extensions);
  cert.siginfo.algorithmOid = ECDSA_WITH_SHA256; // replaced below (node-forge would add parameters)
  // getTBSCertificate() is node-forge's (lib/x509.js), missing from its type definitions.
  const tbs = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(
    cert,
  );
  const fields = tbs.value as forge.asn1.Asn1[];
  // version [0], serial, signature algorithm, issuer, validity, subject, public key info, extensions [3]
  const algorithm = () =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ECDSA_WITH_SHA256).getBytes()),
    ]);
  fields[2] = algorithm();
  const spki = spec.publicKey.export({ type: 'spki', format: 'der' });
  fields[6] = asn1.fromDer(forge.util.createBuffer(spki.toString('binary')));
  const tbsDer = asn1.toDer(tbs).getBytes();
  const signature = sign('sha256', Buffer.from(tbsDer, 'binary'), spec.signingKey);
  const whole = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.fromDer(forge.util.createBuffer(tbsDer)),
    algorithm(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${signature.toString('binary')}`),
  ]);
  return forge.pem.encode({ type: 'CERTIFICATE', body: asn1.toDer(whole).getBytes() }).replace(/\r\n/g, '\n');
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** A syntactically valid RSA public key for node-forge to encode and for the real key to replace. */
const STAND_IN_KEY = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('65537'));

/**
 * What is wrong with certificates a user brings for a cluster, in a few words, or undefined
 * when nothing is: each must parse, `cert` must be signed by `ca`, match `key`, be valid now and
 * name every one of `names` (DNS names or IP addresses). Never quotes the key.
 */
export function certificateProblem(material: TlsMaterial, names: readonly string[]): string | undefined {
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(material.ca);
  } catch {
    return '"ca" is not a PEM certificate';
  }
  try {
    cert = new X509Certificate(material.cert);
  } catch {
    return '"cert" is not a PEM certificate';
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(material.key);
  } catch {
    return '"key" is not a PEM private key (an encrypted key is not supported)';
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return `"cert" (${cert.subject}) was not signed by "ca"`;
  if (!cert.checkPrivateKey(key)) return '"key" is not the private key of "cert"';
  const now = Date.now();
  if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now)
    return `"cert" is not valid now (${cert.validFrom} to ${cert.validTo})`;
  const missing = names.filter((n) => (IP.test(n) ? cert.checkIP(n) === undefined : cert.checkHost(n) === undefined));
  if (missing.length > 0)
    return `"cert" does not name ${missing.map((n) => `"${n}"`).join(', ')} (its names: ${cert.subjectAltName ?? 'none'})`;
  return undefined;
}
