/** The trivial task piscina runs as the baseline of `bench runtime`. */
export default function increment(n: number): number {
  return n + 1;
}
