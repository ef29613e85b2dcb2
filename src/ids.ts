/**
 * Id allocation for instances and events. Ids start at a random offset so that ids of a
 * restarted server never map Kong's cached ids onto different instances (Kong/kong#8370), and
 * stay in the int32 range that every Kong version and protocol can carry.
 */
import { randomInt } from 'node:crypto';

const MAX_ID = 0x7fffffff;

/** Hands out positive int32 ids that are not in use, starting from a random point. */
export class IdAllocator {
  private next: number;

  constructor(start = randomInt(1, 0x40000000)) {
    this.next = start;
  }

  /** The next id for which `inUse` is false. */
  allocate(inUse: (id: number) => boolean): number {
    for (;;) {
      const id = this.next;
      this.next = id >= MAX_ID ? 1 : id + 1;
      if (!inUse(id)) return id;
    }
  }
}
