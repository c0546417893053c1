import { X509Certificate } from 'node:crypto';
import { certificateProblem, createClusterCertificates } from './certificates';

describe('cluster certificates', () => {
  const names = ['redis-node-1', 'redis-node-2'];

  it('make a CA, a certificate per node naming it, localhost and 127.0.0.1, and a client certificate, all signed by the CA', async () => {
    const made = await createClusterCertificates(names, { label: 'unit', days: 2 });
    const ca = new X509Certificate(made.ca);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=redis-cluster-kit CA unit');
    for (const name of names) {
      const own = made.nodes.get(name)!;
      const cert = new X509Certificate(own.cert);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.ca).toBe(false);
      expect(cert.subjectAltName).toBe(`DNS:${name}, DNS:localhost, IP Address:127.0.0.1`);
      expect(cert.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
      expect(own.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(certificateProblem({ ca: made.ca, ...own }, [name, 'localhost', '127.0.0.1'])).toBeUndefined();
      expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(2 * 86_400_000);
    }
    // Every node has a key of its own.
    expect(made.nodes.get(names[0]!)!.key).not.toBe(made.nodes.get(names[1]!)!.key);
    const client = new X509Certificate(made.client.cert);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only
  });

  it('say in one line what does not fit in certificates a user brings, never quoting the key', async () => {
    const made = await createClusterCertificates(names);
    const other = await createClusterCertificates(names);
    const one = made.nodes.get('redis-node-1')!;
    const problem = (m: { ca: string; cert: string; key: string }, n = names) => certificateProblem(m, n);
    expect(problem({ ca: made.ca, ...one })).toBe(
      '"cert" does not name "redis-node-2" (its names: DNS:redis-node-1, DNS:localhost, IP Address:127.0.0.1)',
    );
    expect(problem({ ca: other.ca, ...one }, ['redis-node-1'])).toMatch(
      /^"cert" \(CN=redis-node-1\) was not signed by "ca"$/,
    );
    expect(problem({ ca: made.ca, cert: one.cert, key: made.client.key }, [])).toBe(
      '"key" is not the private key of "cert"',
    );
    expect(problem({ ca: 'nope', ...one }, [])).toBe('"ca" is not a PEM certificate');
    expect(problem({ ca: made.ca, cert: one.cert, key: 'nope' }, [])).toMatch(/^"key" is not a PEM private key/);
    for (const text of [
      problem({ ca: made.ca, ...one }),
      problem({ ca: made.ca, cert: one.cert, key: made.client.key }, []),
    ]) {
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain('\n');
    }
  });
});
