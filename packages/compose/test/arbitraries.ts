import fc from 'fast-check';
import { ANNOUNCE_MODES, OPTION_SPECS, PERSISTENCE_MODES, type PlanOptions } from '@redis-cluster-kit/plan';
import { validatePasswordEnv } from '../src/secret';

// What the property tests of every target draw from: options that the plan accepts, built so
// that every one is valid.

/** Ports, bus offsets and shapes that the plan accepts: built so that every one is valid. */
export const shape = fc
  .record({ masters: fc.integer({ min: 1, max: 12 }), replicas: fc.integer({ min: 0, max: 3 }) })
  .chain(({ masters, replicas }) => {
    const nodes = masters * (1 + replicas);
    return fc.integer({ min: 1, max: 65535 - nodes + 1 }).chain((basePort) => {
      const last = basePort + nodes - 1;
      const offsets: fc.Arbitrary<number>[] = [];
      if (65535 - last >= nodes) offsets.push(fc.integer({ min: nodes, max: 65535 - last }));
      if (basePort - 1 >= nodes) offsets.push(fc.integer({ min: -(basePort - 1), max: -nodes }));
      return fc.oneof(...offsets).map((busPortOffset) => ({ masters, replicas, basePort, busPortOffset }));
    });
  });

const label = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,6}){0,2}$/);
export const image = fc
  .record({
    registry: fc.option(
      fc.tuple(
        fc.stringMatching(/^[a-z0-9]{1,8}(?:\.[a-z0-9]{1,8}){0,2}$/),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      ),
      { nil: undefined },
    ),
    path: fc.array(label, { minLength: 1, maxLength: 3 }),
    tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
    digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/), { nil: undefined }),
  })
  .map(
    ({ registry, path, tag, digest }) =>
      `${registry ? `${registry[0]}${registry[1] ? `:${registry[1]}` : ''}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}${digest ? `@sha256:${digest}` : ''}`,
  )
  .filter((ref) => OPTION_SPECS.image.schema.safeParse(ref).success);

export const options: fc.Arbitrary<PlanOptions> = fc
  .record({
    shape,
    namePrefix: fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,40}[a-z0-9])?$/),
    image,
    announce: fc.constantFrom(...ANNOUNCE_MODES),
    nodeTimeoutMs: fc.integer({ min: 100, max: 3_600_000 }),
    persistence: fc.constantFrom(...PERSISTENCE_MODES),
    auth: fc.boolean(),
  })
  .map(({ shape: s, ...rest }) => ({ ...s, ...rest }));

export const passwordEnv = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/).filter((name) => {
  try {
    return validatePasswordEnv(name) === name;
  } catch {
    return false;
  }
});
