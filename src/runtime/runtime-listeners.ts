import type { ActorLogEntry, CrashReport, ExitReport } from './actor-runtime-types.js';

/**
 * Who hears of a runtime's crashes, exits and actor log lines. Each `on*`
 * returns a function that unsubscribes. A crash or log line is never
 * silent: crashes go to stderr when nobody listens, log lines always do.
 */
export class RuntimeListeners {
  private readonly crashListeners = new Set<(report: CrashReport) => void>();
  private readonly exitListeners = new Set<(report: ExitReport) => void>();
  private readonly logListeners = new Set<(entry: ActorLogEntry) => void>();

  onCrash(listener: (report: CrashReport) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  onExit(listener: (report: ExitReport) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  onLog(listener: (entry: ActorLogEntry) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Tells the crash listeners; with none, says it on stderr so a crash is never silent. A crash is an exit too, so exit listeners hear it next. */
  reportCrash(report: CrashReport): void {
    if (this.crashListeners.size === 0) {
      process.stderr.write(`plexspaces: actor ${report.actorId} (${report.module}, worker ${report.worker}) crashed: ${report.error.code}: ${report.error.message}\n`);
    }
    for (const listener of this.crashListeners) listener(report);
    this.reportExit({ actorId: report.actorId, module: report.module, normal: false, reason: `${report.error.code}: ${report.error.message}`, error: report.error });
  }

  /** Tells every exit listener; one that throws is reported on stderr and does not keep the others from hearing. */
  reportExit(report: ExitReport): void {
    for (const listener of this.exitListeners) {
      try {
        listener(report);
      } catch (error) {
        process.stderr.write(`plexspaces: an exit listener failed for ${report.actorId}: ${(error as Error).stack ?? String(error)}\n`);
      }
    }
  }

  /** Writes the line to stderr and tells the log listeners. */
  receiveLog(entry: ActorLogEntry): void {
    process.stderr.write(`[actor ${entry.actorId}] ${entry.message}\n`);
    for (const listener of this.logListeners) listener(entry);
  }
}
