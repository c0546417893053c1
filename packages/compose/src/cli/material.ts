import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { certificateProblem, createClusterCertificates, LOCAL_NAMES, type ClusterPlan } from '@redis-cluster-kit/plan';
import { aclFileCopy, ACL_FILE, InvalidAclFileError, KIT_PASSWORD_ENV, parseAclFile } from '../acl';
import { ACL_FILE_FLAG } from '../flags';
import { envValue, validatePassword, type GivenPassword } from '../secret';
import { tlsOutputFiles } from '../targets/view';
import { readOutputFile } from '../write';

// What the CLI adds to the rendered files with --tls and --acl-file, none of it from a template:
// the certificates (made here, or kept from the output folder) and the ACL file's copy.

/** The certificates to write: their files, whether they were kept, and why keeping them needs --force. */
export interface TlsPlan {
  files: Map<string, string>;
  /** The private keys' paths (written 0600). */
  keys: Set<string>;
  kept: boolean;
  /** Why the certificates there cannot be kept (replacing them needs --force). */
  conflict?: { reason: string };
}

/**
 * The CA's certificate and each node's certificate and key: the ones in `out/tls/` when they are
 * all there and fit the plan (each signed by the CA, matching its key, valid now and naming the
 * node, `localhost` and `127.0.0.1`), else new ones. Without `force`, certificates that are there
 * but do not fit are a conflict (their CA's key is not kept: no new node can be signed by it).
 */
export async function planTls(out: string, plan: ClusterPlan, force: boolean): Promise<TlsPlan> {
  const layout = tlsOutputFiles(plan);
  const keys = new Set(layout.nodes.map((n) => n.key));
  const all = [layout.ca, ...layout.nodes.flatMap((n) => [n.cert, n.key])];
  const existing = new Map(all.map((p) => [p, force ? undefined : readOutputFile(out, p)]));
  const present = all.filter((p) => existing.get(p) !== undefined);
  if (present.length > 0) {
    let problem: { path: string; reason: string } | undefined;
    const ca = existing.get(layout.ca);
    for (const n of layout.nodes) {
      const missing = [layout.ca, n.cert, n.key].find((p) => existing.get(p) === undefined);
      if (missing) {
        problem = { path: join(out, missing), reason: `${missing} is missing` };
        break;
      }
      const why = certificateProblem({ ca: ca!, cert: existing.get(n.cert)!, key: existing.get(n.key)! }, [
        n.name,
        ...LOCAL_NAMES,
      ]);
      if (why) {
        problem = { path: join(out, n.cert), reason: `${n.cert}: ${why}` };
        break;
      }
    }
    if (!problem) return { files: new Map(all.map((p) => [p, existing.get(p)!])), keys, kept: true };
    const made = await makeTls(plan);
    return {
      ...made,
      conflict: {
        reason: `the certificates in ${join(out, 'tls')} do not fit this cluster (${problem.reason}). Use --force to make a new CA and certificates (clients must then trust the new tls/ca.crt)`,
      },
    };
  }
  return makeTls(plan);
}

async function makeTls(plan: ClusterPlan): Promise<TlsPlan> {
  const layout = tlsOutputFiles(plan);
  const made = await createClusterCertificates(plan.nodes.map((n) => n.name));
  const files = new Map<string, string>([[layout.ca, made.ca]]);
  for (const n of layout.nodes) {
    const own = made.nodes.get(n.name)!;
    files.set(n.cert, own.cert);
    files.set(n.key, own.key);
  }
  return { files, keys: new Set(layout.nodes.map((n) => n.key)), kept: false };
}

/** The ACL file given, read and checked; its users' names for the summary. */
export interface AclSource {
  text: string;
  users: string[];
}

/**
 * Read and check `--acl-file`.
 * @throws InvalidAclFileError (one line: the file, the line, never a password)
 */
export function readAclFile(path: string): AclSource {
  let text: string;
  try {
    if (!statSync(path).isFile())
      throw new InvalidAclFileError(
        `Invalid option ${ACL_FILE_FLAG} "${path}": it is not a file. Expected a readable Redis ACL file.`,
      );
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof InvalidAclFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (code ?? 'cannot read it');
    throw new InvalidAclFileError(
      `Invalid option ${ACL_FILE_FLAG} "${path}": ${why}. Expected a readable Redis ACL file.`,
    );
  }
  // eslint-disable-next-line no-control-regex -- a NUL byte: not a text file
  if (/\u0000/.test(text))
    throw new InvalidAclFileError(`Invalid ACL file "${path}": it is not text. Expected a Redis ACL file.`);
  return { text, users: parseAclFile(text, path).map((u) => u.name) };
}

/** The generator's user's password given when generating (its variable in the environment), checked. */
export function givenKitPassword(env: Readonly<Record<string, string | undefined>>): GivenPassword | undefined {
  const value = env[KIT_PASSWORD_ENV];
  if (value === undefined || value === '') return undefined;
  return { secret: validatePassword(value, `the environment variable ${KIT_PASSWORD_ENV}`), source: 'environment' };
}

/** The ACL file's copy for the output: the user's lines and the generator's user, whose password is the one in `.env`'s content. */
export function aclCopy(source: AclSource, envContent: string): [path: string, content: string] {
  const password = envValue(envContent, KIT_PASSWORD_ENV);
  if (!password) throw new Error(`no ${KIT_PASSWORD_ENV} in the planned .env`);
  return [ACL_FILE, aclFileCopy(source.text, password)];
}
