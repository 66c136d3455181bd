/**
 * A stored ring's health (budget-ring.ts has the ring's rules): sound, a sound ring of another
 * size to carry over (the limit or the share was changed), or damaged and to be replaced.
 */
import { marksOf, type RingSize, type RingState, slotTimesOf, uniformRing } from "./budget-ring.ts";

/**
 * A sound ring of another size (the limit or the share was changed) carried over to `size`:
 * its newest slots are kept (slots it did not have are free), each read as its bucket's
 * time, so never earlier than the request it stands for.
 */
export const resizeRing = (ring: RingState, size: RingSize): RingState => ({
  ...ringOfSlotTimes(slotTimesOf(ring), size),
  ...marksOf(ring),
});

/**
 * A ring holding these send times (in order, oldest first): the newest `size.slots` of
 * them, free slots before them when there are fewer; each bucket keeps its newest.
 */
export const ringOfSlotTimes = (sent: readonly number[], size: RingSize): RingState => {
  const times =
    sent.length >= size.slots
      ? sent.slice(sent.length - size.slots)
      : [...Array.from({ length: size.slots - sent.length }, () => 0), ...sent];
  const ring = uniformRing(size, 0);
  let end = 0;
  const bucketTimes = ring.bucketTimes.map((_, index) => {
    end += index === 0 ? ring.headLeft : size.bucket;
    return times[end - 1] ?? 0;
  });
  return { ...ring, bucketTimes, newest: sent.length === 0 ? 0 : Math.max(...sent) };
};

const sealedCountOf = (size: RingSize, headLeft: number, tailCount: number): number =>
  (size.slots - headLeft - tailCount) / size.bucket + 1;

export type RingHealth = "sound" | "resizable" | "damaged";

const isTime = (value: number, latestPlausible: number): boolean =>
  Number.isSafeInteger(value) && value >= 0 && value <= latestPlausible;

/**
 * Whether a stored ring can be used as it is (`sound`), carried over to this size
 * (`resizable`: a sound ring of another size), or must be replaced (`damaged`: counts that
 * do not add up, times not non-negative integers in order, or beyond `latestPlausible`, i.e.
 * from a clock far ahead).
 */
export const ringHealth = (
  ring: RingState | undefined,
  size: RingSize,
  latestPlausible: number,
): RingHealth => {
  if (ring === undefined) return "damaged";
  const { slots, bucket, headLeft, tailCount, bucketTimes, newest } = ring;
  const counts = [slots, bucket, headLeft, tailCount];
  if (!counts.every(Number.isSafeInteger) || slots < 1 || bucket < 1) return "damaged";
  const [lowest, highest] = bucket === 1 ? [1, 0] : [-bucket, 2 * bucket - 1];
  if (headLeft < lowest || headLeft > bucket || tailCount < 0 || tailCount > highest) return "damaged";
  if (bucketTimes.length === 0) return "damaged";
  if (sealedCountOf(ring, headLeft, tailCount) !== bucketTimes.length) return "damaged";
  for (let i = 0; i < bucketTimes.length; i++) {
    const time = bucketTimes[i] ?? Number.NaN;
    if (!isTime(time, latestPlausible) || (i > 0 && time < (bucketTimes[i - 1] ?? 0))) return "damaged";
  }
  if (!isTime(newest, latestPlausible) || newest < (bucketTimes.at(-1) ?? 0)) return "damaged";
  return slots === size.slots && bucket === size.bucket ? "sound" : "resizable";
};
