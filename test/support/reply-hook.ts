import type { NodeMetrics } from '../../src/server/metrics.js';

/**
 * A NodeService metrics hook that can hold a reply back: `beforeReply` runs
 * after an operation resolved and before its reply is sent, which is how a
 * test puts a client hang-up between a take and its answer.
 */
export function replyHook(): { metrics: NodeMetrics; setBeforeReply(hook: ((operation: string) => Promise<void>) | undefined): void } {
  let beforeReply: ((operation: string) => Promise<void>) | undefined;
  const metrics = {
    async observe<T>(_surface: string, operation: string, run: () => Promise<T>): Promise<T> {
      const result = await run();
      await beforeReply?.(operation);
      return result;
    },
    text: async () => '',
    contentType: 'text/plain',
  } as unknown as NodeMetrics;
  return { metrics, setBeforeReply: (hook) => (beforeReply = hook) };
}
