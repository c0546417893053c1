/**
 * Capture what DEBUG=redis-cluster-kit:* would print, for the tests that check no secret
 * reaches a log line. Call at the top level (or in a describe) of a test file: it enables the
 * debug namespaces in a beforeAll and puts the `debug` package back as it was in an afterAll.
 */
import createDebug from 'debug';

/** The lines the `debug` package would have written, in order; the caller may push its own (a logger hook's) too. */
export function captureDebugLog(): string[] {
  const logged: string[] = [];
  const originalLog = createDebug.log;
  beforeAll(() => {
    createDebug.log = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    createDebug.enable('redis-cluster-kit:*');
  });
  afterAll(() => {
    createDebug.disable();
    createDebug.log = originalLog;
  });
  return logged;
}
