import { seededRng } from '../core/clock.ts';
import { fnv1a32 } from './hash.ts';

/**
 * A unit-length vector that depends only on `key` and `dimensions`. Components are float32 values,
 * so a float32 (base64) encoding carries exactly the numbers a JSON encoding does.
 */
export function deterministicUnitVector(key: string, dimensions: number): number[] {
  const rng = seededRng(fnv1a32(key));
  const raw = Array.from({ length: dimensions }, () => rng() * 2 - 1);
  let sumOfSquares = 0;
  for (const x of raw) sumOfSquares += x * x;
  const norm = Math.sqrt(sumOfSquares) || 1;
  return raw.map((x) => Math.fround(x / norm));
}
