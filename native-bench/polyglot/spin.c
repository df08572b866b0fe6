/* The spin loop of README.md, natively: `spin N` prints {"result": R, "seconds": S} (best of 30). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t spin(int64_t n) {
  double acc = 1.0;
  for (int64_t i = 0; i < n; i++) {
    double v = (double)(i % 7) + 1.0;
    switch (i % 4) {
      case 0: acc = acc + v; break;
      case 1: acc = acc - v * 0.5; break;
      case 2: acc = acc * 1.0000001; break;
      default: acc = acc / 1.0000002; break;
    }
  }
  return (int64_t)(acc * 1e6);
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;
  double best = 1e30;
  int64_t result = 0;
  for (int r = 0; r < 30; r++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    result = spin(n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (s < best) best = s;
  }
  printf("{\"result\": %lld, \"seconds\": %.9f}\n", (long long)result, best);
  return 0;
}
