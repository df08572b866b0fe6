/**
 * The node's n-body job (a direct-sum, float32, leapfrog SIMD kernel over
 * its worker threads) swept over the number of bodies and of workers:
 * `npx plexspaces sweep examples/sweeps/nbody.sweep.mjs`.
 *
 * The check is physics: a symplectic integrator over a few steps keeps the
 * total energy, so a run whose relative energy drift exceeds 10⁻³, or whose
 * energies are not finite, or that simulated another size, fails.
 *
 * Each job starts worker threads of its own and warms its kernel up before
 * it steps (a quarter of a second on two cores); the sweep times what the
 * job reports for its steps (`seconds`) and keeps the wall-clock time of
 * the whole call beside it in the report. The metric is pairwise
 * interactions per second, n² per step, as `plexspaces run nbody` counts.
 */
const STEPS = 10;

export default {
  name: 'nbody',
  grid: { bodies: [1024, 2048, 4096, 8192], workers: [1, 2] },
  warmup: 1,
  repetitions: 5,
  run: ({ bodies, workers }, ctx) => ctx.client.nbody({ bodies, steps: STEPS, workers, dt: 0.001 }),
  check(result, { bodies }) {
    if (result.bodies !== bodies) return `simulated ${result.bodies} bodies, not ${bodies}`;
    if (!Number.isFinite(result.energyStart) || !Number.isFinite(result.energyEnd)) return `energy not finite: ${result.energyStart} → ${result.energyEnd}`;
    if (!(result.relativeEnergyDrift <= 1e-3)) return `relative energy drift ${result.relativeEnergyDrift} over 1e-3`;
  },
  seconds: (result) => result.seconds,
  metric: { unit: 'G interactions/s', value: ({ bodies }, seconds) => (bodies * bodies * (STEPS + 1)) / seconds / 1e9 },
  chartX: 'bodies',
};
