/**
 * A progress bar on stderr for long runs: redrawn in place on a terminal,
 * a line per 10% otherwise (CI logs), silent when disabled (`--json` keeps
 * stdout clean either way: this writes to stderr only).
 */
export class ProgressBar {
  private lastDecile = -1;
  private lastDraw = 0;
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly enabled = true,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number): void {
    if (!this.enabled || total <= 0) return;
    const fraction = Math.min(1, done / total);
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Number.NaN;
    const tail = `${done}/${total} ${(fraction * 100).toFixed(0).padStart(3)}% ${elapsed.toFixed(1)}s${fraction < 1 && Number.isFinite(eta) ? `, ~${eta.toFixed(1)}s left` : ''}`;
    if (this.stream.isTTY) {
      const now = performance.now();
      if (now - this.lastDraw < 50 && fraction < 1) return;
      this.lastDraw = now;
      const width = 30;
      const filled = Math.round(fraction * width);
      this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${tail}\x1b[K${fraction >= 1 ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${this.label}: ${tail}\n`);
    }
  }
}
