/**
 * The pooled instances `runTask` runs stateless work on: one per module and
 * worker, started on first use and shared by every task after it. A start
 * that fails is forgotten, so the next task tries again.
 */
export class TaskInstances {
  private readonly started = new Map<string, Promise<void>>();

  /** Resolves once instance `id` runs, starting it with `start` when it is not started yet. */
  ready(id: string, start: () => Promise<unknown>): Promise<void> {
    const known = this.started.get(id);
    if (known !== undefined) return known;
    const ready = start().then(
      () => undefined,
      (error: unknown) => {
        this.started.delete(id);
        throw error;
      },
    );
    this.started.set(id, ready);
    return ready;
  }

  /** The instance exited: the next task starts a new one. */
  forget(id: string): void {
    this.started.delete(id);
  }
}
