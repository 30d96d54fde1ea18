/**
 * `count` (multiplier, offset) pairs for universal hashing h(x) = a·x + b mod 2^32, from a seed
 * (splitmix32), with odd multipliers so each h is a bijection. The same seed gives the same pairs.
 */
export function seededHashParameters(
  count: number,
  seed: number,
): { multipliers: Uint32Array; offsets: Uint32Array } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const multipliers = new Uint32Array(count);
  const offsets = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    multipliers[i] = next() | 1;
    offsets[i] = next();
  }
  return { multipliers, offsets };
}
