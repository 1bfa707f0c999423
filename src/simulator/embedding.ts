/** Deterministic embedding vectors, the same for every protocol. */
import { hashString, seededRandom } from './random.js';

/** A deterministic unit vector for (model, input). */
export function embed(model: string, input: string, dimensions: number): Float32Array {
  const random = seededRandom(hashString(`${model}\u0000${input}`));
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = random() * 2 - 1;
    vector[i] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] as number) * scale;
  return vector;
}
