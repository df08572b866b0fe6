/*
 * Native baselines for `plexspaces bench kernels`: the same algorithms as the
 * wasm kernels, in plain C, so the figures compare implementations of one
 * algorithm. Built three ways by src/bench/native-baselines.ts:
 *   gcc -O3 -march=native   (AVX-512 where the CPU has it)
 *   gcc -O3                 (SSE2, the x86-64 baseline)
 *   clang --target=wasm32 -O3 -msimd128  (same source, run in Node: "native vs wasm")
 *
 * sgemm_ikj: C = A·B, row-major, the i-k-j loop compilers vectorize well.
 * sgemm_blocked (native only): the same product with register tiles of C
 * over blocks of k (see there) — the stronger C baseline at large n.
 * nbody_step: the direct sum of src/wasm/actors/shared/nbody.ts (SoA float32,
 * Plummer softening, leapfrog with velocities at half steps).
 *
 * Native command line (prints one JSON object):
 *   kernels sgemm N REPS      → {"seconds": best of REPS, "checksum": Σ C}
 *   kernels sgemm-blocked N REPS  (the same, sgemm_blocked)
 *   kernels nbody N STEPS     → {"seconds": …, "energyStart": …, "energyEnd": …}
 */
#include <stddef.h>
#ifdef __wasm__
/* No libc in the wasm build: these are single instructions there. */
#define sqrtf __builtin_sqrtf
#define sqrt __builtin_sqrt
#else
#include <math.h>
#endif

void sgemm_ikj(int n, const float *restrict a, const float *restrict b, float *restrict c) {
  for (int i = 0; i < n; i++) {
    float *restrict ci = c + (size_t)i * n;
    /* k = 0 assigns, so no separate zeroing pass (which clang would turn into a libc memset). */
    for (int j = 0; j < n; j++) ci[j] = a[(size_t)i * n] * b[j];
    for (int k = 1; k < n; k++) {
      const float aik = a[(size_t)i * n + k];
      const float *restrict bk = b + (size_t)k * n;
      for (int j = 0; j < n; j++) ci[j] += aik * bk[j];
    }
  }
}

#ifndef __wasm__
/* A register tile of C (SGEMM_MR rows × SGEMM_NR columns: 8 AVX-512 or 16 AVX2 registers) is
 * accumulated over SGEMM_KC steps of k, so each vector of B loaded feeds SGEMM_MR FMAs and C is
 * read and written once per block of k instead of once per k. Edges that do not fill a tile are
 * done by the plain loop. Chosen by trying 4–8 × 32–64 × 256–512 at n = 1024 on this machine. */
#define SGEMM_MR 4
#define SGEMM_NR 32
#define SGEMM_KC 512
static void sgemm_edge(int n, const float *restrict a, const float *restrict b, float *restrict c, int i0, int i1, int j0, int j1, int k0, int k1) {
  for (int i = i0; i < i1; i++)
    for (int k = k0; k < k1; k++) {
      const float aik = a[(size_t)i * n + k];
      for (int j = j0; j < j1; j++) c[(size_t)i * n + j] += aik * b[(size_t)k * n + j];
    }
}

void sgemm_blocked(int n, const float *restrict a, const float *restrict b, float *restrict c) {
  const int im = n - n % SGEMM_MR, jm = n - n % SGEMM_NR;
  for (size_t i = 0; i < (size_t)n * n; i++) c[i] = 0;
  for (int kk = 0; kk < n; kk += SGEMM_KC) {
    const int kend = kk + SGEMM_KC < n ? kk + SGEMM_KC : n;
    for (int j = 0; j < jm; j += SGEMM_NR) {
      for (int i = 0; i < im; i += SGEMM_MR) {
        float acc[SGEMM_MR][SGEMM_NR];
        for (int r = 0; r < SGEMM_MR; r++)
          for (int x = 0; x < SGEMM_NR; x++) acc[r][x] = c[(size_t)(i + r) * n + j + x];
        for (int k = kk; k < kend; k++) {
          const float *restrict bk = b + (size_t)k * n + j;
          for (int r = 0; r < SGEMM_MR; r++) {
            const float ar = a[(size_t)(i + r) * n + k];
            for (int x = 0; x < SGEMM_NR; x++) acc[r][x] += ar * bk[x];
          }
        }
        for (int r = 0; r < SGEMM_MR; r++)
          for (int x = 0; x < SGEMM_NR; x++) c[(size_t)(i + r) * n + j + x] = acc[r][x];
      }
    }
    sgemm_edge(n, a, b, c, im, n, 0, jm, kk, kend); /* rows below the last full tile */
    sgemm_edge(n, a, b, c, 0, n, jm, n, kk, kend);  /* columns right of it, every row */
  }
}
#endif

/* pin/pout: x|y|z planes of n floats; vel: vx|vy|vz; mass: n. */
void nbody_step(int n, const float *restrict pin, float *restrict pout, float *restrict vel, const float *restrict mass,
                float dt_kick, float dt_drift, float eps2) {
  const float *xs = pin, *ys = pin + n, *zs = pin + 2 * n;
  for (int i = 0; i < n; i++) {
    const float xi = xs[i], yi = ys[i], zi = zs[i];
    float ax = 0, ay = 0, az = 0;
    for (int j = 0; j < n; j++) {
      const float dx = xs[j] - xi, dy = ys[j] - yi, dz = zs[j] - zi;
      const float r2 = dx * dx + dy * dy + dz * dz + eps2;
      const float s = mass[j] / (r2 * sqrtf(r2));
      ax += dx * s;
      ay += dy * s;
      az += dz * s;
    }
    vel[i] += ax * dt_kick;
    vel[n + i] += ay * dt_kick;
    vel[2 * n + i] += az * dt_kick;
    pout[i] = xi + vel[i] * dt_drift;
    pout[n + i] = yi + vel[n + i] * dt_drift;
    pout[2 * n + i] = zi + vel[2 * n + i] * dt_drift;
  }
}

double nbody_energy(int n, const float *pos, const float *vel, const float *mass, float eps2) {
  double e = 0;
  for (int i = 0; i < n; i++) {
    const double vx = vel[i], vy = vel[n + i], vz = vel[2 * n + i];
    e += 0.5 * mass[i] * (vx * vx + vy * vy + vz * vz);
    double potential = 0;
    for (int j = i + 1; j < n; j++) {
      const double dx = (double)pos[j] - pos[i], dy = (double)pos[n + j] - pos[n + i], dz = (double)pos[2 * n + j] - pos[2 * n + i];
      potential += mass[j] / sqrt(dx * dx + dy * dy + dz * dz + eps2);
    }
    e -= mass[i] * potential;
  }
  return e;
}

#ifndef __wasm__
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The inputs the Node side builds, reproduced: mulberry32 (src/kernels/seeded-random.ts). */
static unsigned state;
static double random01(void) {
  state += 0x6d2b79f5u;
  unsigned t = state;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return (double)(t ^ (t >> 14)) / 4294967296.0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s sgemm|sgemm-blocked N REPS | nbody N STEPS\n", argv[0]);
    return 2;
  }
  const int n = atoi(argv[2]), reps = atoi(argv[3]);
  if (strcmp(argv[1], "sgemm") == 0 || strcmp(argv[1], "sgemm-blocked") == 0) {
    void (*sgemm)(int, const float *restrict, const float *restrict, float *restrict) = strcmp(argv[1], "sgemm") == 0 ? sgemm_ikj : sgemm_blocked;
    float *a = aligned_alloc(64, sizeof(float) * n * n), *b = aligned_alloc(64, sizeof(float) * n * n), *c = aligned_alloc(64, sizeof(float) * n * n);
    state = 1;
    for (int i = 0; i < n * n; i++) a[i] = (float)(random01() * 2 - 1);
    state = 2;
    for (int i = 0; i < n * n; i++) b[i] = (float)(random01() * 2 - 1);
    sgemm(n, a, b, c);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
      const double t0 = now();
      sgemm(n, a, b, c);
      const double t = now() - t0;
      if (t < best) best = t;
    }
    double checksum = 0;
    for (int i = 0; i < n * n; i++) checksum += c[i];
    printf("{\"seconds\": %.9f, \"checksum\": %.9g, \"c00\": %.9g, \"cLast\": %.9g}\n", best, checksum, c[0], c[(size_t)n * n - 1]);
    return 0;
  }
  if (strcmp(argv[1], "nbody") == 0) {
    float *p0 = calloc(3 * n, sizeof(float)), *p1 = calloc(3 * n, sizeof(float)), *v = calloc(3 * n, sizeof(float)), *m = calloc(n, sizeof(float));
    state = 7;
    for (int i = 0; i < n; i++) {
      double x, y, z;
      do {
        x = random01() * 2 - 1;
        y = random01() * 2 - 1;
        z = random01() * 2 - 1;
      } while (x * x + y * y + z * z > 1);
      p0[i] = (float)x;
      p0[n + i] = (float)y;
      p0[2 * n + i] = (float)z;
      m[i] = 1.0f / n;
    }
    const float dt = 0.001f, eps2 = 0.0001f;
    const double e0 = nbody_energy(n, p0, v, m, eps2);
    const double t0 = now();
    float *cur = p0, *next = p1;
    for (int s = 0; s < reps; s++) {
      nbody_step(n, cur, next, v, m, s == 0 ? dt / 2 : dt, dt, eps2);
      float *t = cur; cur = next; next = t;
    }
    nbody_step(n, cur, next, v, m, dt / 2, 0, eps2);
    const double seconds = now() - t0;
    const double e1 = nbody_energy(n, next, v, m, eps2);
    printf("{\"seconds\": %.9f, \"steps\": %d, \"energyStart\": %.12f, \"energyEnd\": %.12f}\n", seconds, reps + 1, e0, e1);
    return 0;
  }
  fprintf(stderr, "unknown kernel %s\n", argv[1]);
  return 2;
}
#endif
