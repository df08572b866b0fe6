/**
 * The heartbeat of a Redis space instance's blocked operations and watchers:
 * every `everyMs` (a third of their liveness) `renew` (the renew script)
 * extends their liveness in Redis, so other processes keep handing them
 * tuples and events; one that stops renewing (its process died) is dropped
 * there when the liveness lapses. Runs only while something waits or watches.
 */
export class LivenessRenewal {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly renew: () => Promise<unknown>,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.renew().catch(() => undefined), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
