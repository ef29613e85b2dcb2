/**
 * Id allocation for instances and events. Ids start at a random offset so that ids of a
 * restarted server never map Kong's cached ids onto different instances (Kong/kong#8370), and
 * stay in the int32 range that every Kong version and protocol can carry.
 */
import { randomInt } from 'node:crypto';

const MAX_ID = 0x7fffffff;

/**
 * Hands out positive int32 ids that are not in use, starting from a random point. With a
 * `stride` above 1 every id is congruent to `start` modulo the stride: a worker of a
 * multi-process server takes the ids of its own residue, so an id names its owner.
 */
export class IdAllocator {
  private next: number;
  private readonly first: number;

  constructor(
    start = randomInt(1, 0x40000000),
    private readonly stride = 1,
  ) {
    const residue = start % stride;
    // The smallest positive id of the residue class, where the sequence wraps to.
    this.first = residue === 0 ? stride : residue;
    this.next = start >= 1 ? start : this.first;
  }

  /** The id {@link allocate} tries next (reported so that a successor can start past it). */
  peek(): number {
    return this.next;
  }

  /** The next id for which `inUse` is false. */
  allocate(inUse: (id: number) => boolean): number {
    for (;;) {
      const id = this.next;
      this.next = id > MAX_ID - this.stride ? this.first : id + this.stride;
      if (!inUse(id)) return id;
    }
  }
}
