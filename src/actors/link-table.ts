/** A monitor: `watcher` hears about `target`'s exit once. */
export interface MonitorEntry {
  readonly ref: string;
  readonly watcher: string;
  readonly target: string;
}

/**
 * Links (symmetric, at most one per pair) and monitors (one-way, any number,
 * each with its own ref) between actors, by actor id. Pure bookkeeping: the
 * actor system decides what an exit does to the actors found here.
 */
export class LinkTable {
  private readonly links = new Map<string, Set<string>>();
  private readonly monitorsOn = new Map<string, Map<string, MonitorEntry>>();
  private readonly monitorsByRef = new Map<string, MonitorEntry>();
  private readonly monitorsHeld = new Map<string, Set<string>>();
  private nextRef = 1;

  link(a: string, b: string): void {
    if (a === b) return;
    this.peers(a, true)!.add(b);
    this.peers(b, true)!.add(a);
  }

  unlink(a: string, b: string): boolean {
    const removed = this.links.get(a)?.delete(b) ?? false;
    this.links.get(b)?.delete(a);
    return removed;
  }

  linksOf(actor: string): string[] {
    return [...(this.links.get(actor) ?? [])];
  }

  monitor(watcher: string, target: string): MonitorEntry {
    const entry: MonitorEntry = { ref: `mon-${this.nextRef++}`, watcher, target };
    let onTarget = this.monitorsOn.get(target);
    if (onTarget === undefined) this.monitorsOn.set(target, (onTarget = new Map()));
    onTarget.set(entry.ref, entry);
    this.monitorsByRef.set(entry.ref, entry);
    let held = this.monitorsHeld.get(watcher);
    if (held === undefined) this.monitorsHeld.set(watcher, (held = new Set()));
    held.add(entry.ref);
    return entry;
  }

  /** The actor that made monitor `ref`, if it exists. */
  watcherOf(ref: string): string | undefined {
    return this.monitorsByRef.get(ref)?.watcher;
  }

  demonitor(ref: string): boolean {
    const entry = this.monitorsByRef.get(ref);
    if (entry === undefined) return false;
    this.monitorsByRef.delete(ref);
    this.monitorsOn.get(entry.target)?.delete(ref);
    this.monitorsHeld.get(entry.watcher)?.delete(ref);
    return true;
  }

  /**
   * Forgets everything involving `actor` (it exited) and returns its links
   * and the monitors watching it, which the exit must be reported to.
   */
  removeActor(actor: string): { links: string[]; monitors: MonitorEntry[] } {
    const links = this.linksOf(actor);
    for (const peer of links) this.links.get(peer)?.delete(actor);
    this.links.delete(actor);
    const monitors = [...(this.monitorsOn.get(actor)?.values() ?? [])];
    for (const m of monitors) this.demonitor(m.ref);
    this.monitorsOn.delete(actor);
    // Monitors the exited actor held on others die with it.
    for (const ref of [...(this.monitorsHeld.get(actor) ?? [])]) this.demonitor(ref);
    this.monitorsHeld.delete(actor);
    return { links, monitors };
  }

  private peers(actor: string, create: boolean): Set<string> | undefined {
    let set = this.links.get(actor);
    if (set === undefined && create) this.links.set(actor, (set = new Set()));
    return set;
  }
}
