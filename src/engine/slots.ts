// Bounding the turns a process runs at once.

/** A counting semaphore with a FIFO queue (a head index, so a long queue costs O(1) per release). */
export class TurnSlots {
  private free: number;
  private readonly queue: (() => void)[] = [];
  private head = 0;

  constructor(size: number) {
    this.free = size;
  }

  acquire(): Promise<void> | void {
    if (this.free > 0) {
      this.free--;
      return;
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  /** Hands the slot to the next waiter, or frees it. */
  release(): void {
    if (this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      next();
      return;
    }
    this.free++;
  }
}

